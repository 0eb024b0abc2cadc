// Fibers on evq::rt: await() of timers, joins, timeouts and I/O from plain code; exceptions and
// abort (the stack is unwound); the blocking-style sockets; Mutex and Channel.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "evq/fiber/net.hpp"
#include "evq/fiber/runtime.hpp"
#include "evq/fiber/sync.hpp"
#include "rt/make_runtime.hpp"

namespace evq::fiber {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using rt::test::make_runtime;

TEST(FiberRuntime, AFiberSleepsAndJoinsOthersWithPlainCalls) {
  auto rt = make_runtime();
  std::vector<int> order;
  rt.block_on(run([&] {
    const auto t0 = Clock::now();
    auto slow = spawn([&] {
      sleep(30ms);
      order.push_back(2);
    });
    auto fast = spawn([&] {
      sleep(10ms);
      order.push_back(1);
    });
    EXPECT_TRUE(await(slow));
    EXPECT_TRUE(await(fast));
    EXPECT_GE(Clock::now() - t0, 30ms);
    order.push_back(3);
  }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(FiberRuntime, AThousandFibersInterleaveOnOneThread) {
  auto rt = make_runtime();
  int running = 0;
  int most = 0;
  rt.block_on(run([&] {
    std::vector<rt::JoinHandle<void>> hs;
    for (int i = 0; i < 1000; ++i) {
      hs.push_back(spawn([&] {
        ++running;
        most = std::max(most, running);
        yield_now();
        sleep(1ms);
        --running;
      }));
    }
    for (auto& h : hs)
      EXPECT_TRUE(await(h));
  }));
  EXPECT_EQ(most, 1000);  // all were suspended at once, each on its own stack
  EXPECT_EQ(running, 0);
}

TEST(FiberRuntime, AnExceptionReachesTheJoiner) {
  auto rt = make_runtime();
  rt.block_on(run([&] {
    auto h = spawn([] {
      sleep(1ms);
      throw std::runtime_error("boom");
    });
    EXPECT_THROW((void)await(h), std::runtime_error);
  }));
  EXPECT_THROW(rt.block_on(run([] { throw std::runtime_error("main"); })), std::runtime_error);
}

TEST(FiberRuntime, AbortingASleepingFiberUnwindsItsStack) {
  auto rt = make_runtime();
  bool unwound = false;
  bool went_on = false;
  rt.block_on(run([&] {
    auto h = spawn([&] {
      struct Flag {
        bool& f;
        ~Flag() { f = true; }
      } flag{unwound};
      sleep(10s);
      went_on = true;
    });
    sleep(5ms);
    const auto t0 = Clock::now();
    h.abort();
    auto r = await(h);
    EXPECT_LT(Clock::now() - t0, 1s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::cancelled);
  }));
  EXPECT_TRUE(unwound);
  EXPECT_FALSE(went_on);
}

TEST(FiberRuntime, TimeoutOfATaskAndOfASleepFromAFiber) {
  auto rt = make_runtime();
  rt.block_on(run([&] {
    auto slow = []() -> rt::Task<int> {
      co_await rt::sleep(10s);
      co_return 1;
    };
    auto fast = []() -> rt::Task<int> {
      co_await rt::sleep(1ms);
      co_return 2;
    };
    auto r1 = await(rt::timeout(20ms, slow()));
    ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error(), Errc::timed_out);
    auto r2 = await(rt::timeout(1s, fast()));
    ASSERT_TRUE(r2);
    EXPECT_EQ(*r2, 2);
    rt::Deadline d;
    d.expires_after(10ms);
    auto r3 = await(rt::timeout(d, rt::sleep(10s)));
    EXPECT_FALSE(r3);
  }));
}

TEST(FiberRuntime, AwaitOutsideAFiberIsALogicError) {
  EXPECT_THROW(sleep(1ms), std::logic_error);
}

TEST(FiberNet, EchoBetweenFibersWithBlockingStyleCallsAndADeadline) {
  auto rt = make_runtime();
  rt.block_on(run([&] {
    auto l = TcpListener::bind(*sys::SocketAddr::parse("127.0.0.1:0"));
    ASSERT_TRUE(l);
    const auto addr = *l->local_addr();
    auto server = spawn([&] {
      auto c = l->accept();
      ASSERT_TRUE(c);
      std::array<std::byte, 4096> buf;
      for (;;) {
        auto n = c->first.read(buf);
        ASSERT_TRUE(n);
        if (*n == 0) break;
        ASSERT_TRUE(c->first.write_all(std::span(buf).first(*n)));
      }
      ASSERT_TRUE(c->first.shutdown_write());
    });
    auto s = TcpStream::connect(addr);
    ASSERT_TRUE(s);
    // Nothing is sent yet: a read with a deadline times out.
    rt::Deadline d;
    d.expires_after(20ms);
    std::array<std::byte, 4096> buf;
    auto none = s->read(buf, d);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), Errc::timed_out);
    std::string sent(100'000, 'x');
    for (std::size_t i = 0; i < sent.size(); ++i)
      sent[i] = static_cast<char>('a' + i % 26);
    // The server echoes as it reads: write and read at once (two fibers), or both block.
    auto writer = spawn([&] {
      ASSERT_TRUE(s->write_all(std::as_bytes(std::span(sent))));
      ASSERT_TRUE(s->shutdown_write());
    });
    std::string got;
    d.expires_after(5s);
    for (;;) {
      auto n = s->read(buf, d);
      ASSERT_TRUE(n) << n.error().message();
      if (*n == 0) break;
      got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    EXPECT_TRUE(got == sent) << got.size();
    EXPECT_TRUE(await(writer));
    EXPECT_TRUE(await(server));
  }));
}

TEST(FiberSync, AMutexKeepsACriticalSectionThatSleepsExclusive) {
  auto rt = make_runtime();
  Mutex m;
  int inside = 0;
  int most = 0;
  int done = 0;
  rt.block_on(run([&] {
    std::vector<rt::JoinHandle<void>> hs;
    for (int i = 0; i < 5; ++i) {
      hs.push_back(spawn([&] {
        for (int k = 0; k < 3; ++k) {
          const std::lock_guard g(m);
          most = std::max(most, ++inside);
          sleep(1ms);  // parks the fiber while it holds the lock
          --inside;
          ++done;
        }
      }));
    }
    for (auto& h : hs)
      EXPECT_TRUE(await(h));
  }));
  EXPECT_EQ(most, 1);
  EXPECT_EQ(done, 15);
}

TEST(FiberSync, AnAbortedWaiterDoesNotStrandTheOthers) {
  auto rt = make_runtime();
  Mutex m;
  bool third_got_it = false;
  rt.block_on(run([&] {
    m.lock();
    auto second = spawn([&] {
      const std::lock_guard g(m);
      ADD_FAILURE() << "the aborted fiber got the lock";
    });
    auto third = spawn([&] {
      const std::lock_guard g(m);
      third_got_it = true;
    });
    sleep(2ms);      // both wait now
    m.unlock();      // wakes `second`...
    second.abort();  // ...which is aborted before it runs: `third` must get its turn
    (void)await(second);
    EXPECT_TRUE(await(rt::timeout(1s, third.operator co_await())));
  }));
  EXPECT_TRUE(third_got_it);
}

TEST(FiberSync, AChannelIsBoundedOrderedAndClosable) {
  auto rt = make_runtime();
  std::vector<int> got;
  int most_buffered = 0;
  rt.block_on(run([&] {
    Channel<int> ch(2);
    auto producer = spawn([&] {
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(ch.send(i));
        most_buffered = std::max(most_buffered, static_cast<int>(ch.size()));
      }
      ch.close();
      auto late = ch.send(99);
      ASSERT_FALSE(late);
      EXPECT_EQ(late.error(), Errc::closed);
    });
    while (auto v = ch.recv()) {
      got.push_back(*v);
      sleep(1ms);  // a slow consumer: the producer waits on the full channel
    }
    EXPECT_TRUE(await(producer));
  }));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_LE(most_buffered, 2);
}

}  // namespace
}  // namespace evq::fiber
