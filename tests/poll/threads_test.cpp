// The cross-thread promises: Waker and Registry used from other threads while poll() blocks,
// and EINTR. These run in the TSan tier.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <future>
#include <thread>

#include "evq/poll/waker.hpp"
#include "util.hpp"

namespace evq::test {
namespace {

using Clock = std::chrono::steady_clock;

class CrossThread : public PollTest {};

TEST_P(CrossThread, WakerWakesAnUntimedPollFromAnotherThread) {
  auto waker = poll::Waker::create(registry(), Token(42));
  ASSERT_TRUE(waker);
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    waker->wake();
  });
  Events events(4);
  const auto t0 = Clock::now();
  ASSERT_TRUE(poll().poll(events, std::nullopt));
  t.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].token(), Token(42));
  EXPECT_GE(Clock::now() - t0, 40ms);
}

TEST_P(CrossThread, WakesFromManyThreadsCoalesceAndNoneIsLost) {
  auto waker = poll::Waker::create(registry(), Token(42));
  ASSERT_TRUE(waker);
  // Each round: wakers hammer, the poller must see at least one event per round after all
  // wakes of the round were made, and never more events than rounds plus one per poll.
  constexpr int kRounds = 200;
  std::atomic<int> round{0};
  std::atomic<int> done_in_round{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        while (round.load() < r)
          std::this_thread::yield();
        for (int i = 0; i < 50; ++i)
          waker->wake();
        done_in_round.fetch_add(1);
      }
    });
  }
  Events events(4);
  for (int r = 0; r < kRounds; ++r) {
    round.store(r);
    while (done_in_round.load() < 4 * (r + 1))
      std::this_thread::yield();
    // Every wake of this round happened: a poll must report the waker.
    ASSERT_TRUE(poll().poll(events, 2s));
    ASSERT_EQ(events.size(), 1u) << "round " << r;
    EXPECT_EQ(events[0].token(), Token(42));
  }
  round.store(kRounds);
  for (auto& t : threads)
    t.join();
}

// Regression: drain() cleared the raised flag before reading, so a wake landing between the two
// was swallowed and left the flag set with the fd empty: no later wake ever woke the poller.
TEST_P(CrossThread, WakesRacingWithTheDrainNeverJamTheWaker) {
  auto waker = poll::Waker::create(registry(), Token(42));
  ASSERT_TRUE(waker);
  std::atomic<bool> stop{false};
  std::thread waking([&] {
    while (!stop.load())
      waker->wake();
  });
  Events events(4);
  int polls = 0;
  const auto until = Clock::now() + 1s;
  while (Clock::now() < until) {
    auto r = poll().poll(events, 2s);  // a jammed waker shows as a 2 s timeout
    if (!r || events.size() != 1) break;
    ++polls;
  }
  stop.store(true);
  waking.join();
  EXPECT_FALSE(events.empty()) << "the waker jammed after " << polls << " polls";
  waker->wake();  // and it still wakes a poll after the storm
  ASSERT_TRUE(poll().poll(events, 2s));
  EXPECT_EQ(events.size(), 1u);
}

TEST_P(CrossThread, RegistrationDuringAnUntimedPollIsSeenByThatPoll) {
  TcpPair pair = tcp_pair();
  sys::Fd& client = pair.client;
  sys::Fd& server = pair.server;
  send_all(client.get(), "ready before it is registered");
  std::thread t([&, fd = server.get()] {
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(registry().register_(fd, Token(5), Interest::READABLE));
  });
  Events events(4);
  ASSERT_TRUE(poll().poll(events, std::nullopt));  // would hang if the poll missed it
  t.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].token(), Token(5));
}

TEST_P(CrossThread, ReregisterDuringAnUntimedPollIsSeenByThatPoll) {
  TcpPair pair = tcp_pair();  // the client end stays open: nothing to read, but writable
  sys::Fd& server = pair.server;
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  std::thread t([&, fd = server.get()] {
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(registry().reregister(fd, Token(2), Interest::READABLE | Interest::WRITABLE));
  });
  Events events(4);
  ASSERT_TRUE(poll().poll(events, std::nullopt));
  t.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].token(), Token(2));
  EXPECT_TRUE(events[0].writable());
}

TEST_P(CrossThread, DeregisterFromAnotherThreadWhilePollBlocks) {
  TcpPair pair = tcp_pair();
  sys::Fd& client = pair.client;
  sys::Fd& server = pair.server;
  auto waker = poll::Waker::create(registry(), Token(99));
  ASSERT_TRUE(waker);
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  std::thread t([&, fd = server.get()] {
    std::this_thread::sleep_for(30ms);
    ASSERT_TRUE(registry().deregister(fd));
    send_all(client.get(), "after deregister");
    std::this_thread::sleep_for(30ms);
    waker->wake();
  });
  Events events(4);
  ASSERT_TRUE(poll().poll(events, std::nullopt));
  t.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].token(), Token(99));  // only the waker: the deregistered fd is silent
}

TEST_P(CrossThread, RegistryChurnFromAnotherThreadWhilePolling) {
  std::vector<TcpPair> pairs;
  for (int i = 0; i < 16; ++i)
    pairs.push_back(tcp_pair());
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int round = 0; round < 300; ++round) {
      for (int i = 0; i < 16; ++i) {
        ASSERT_TRUE(registry().register_(pairs[i].server.get(), Token(i), Interest::READABLE));
      }
      for (int i = 0; i < 16; ++i)
        send_all(pairs[i].client.get(), "z");
      for (int i = 0; i < 16; ++i)
        ASSERT_TRUE(registry().deregister(pairs[i].server.get()));
    }
    stop.store(true);
  });
  Events events(8);
  while (!stop.load()) {
    ASSERT_TRUE(poll().poll(events, 5ms));
    for (const Event& e : events)
      EXPECT_LT(e.token().value(), 16u);
  }
  churn.join();
}

extern "C" void on_sigusr1(int) {}

TEST_P(CrossThread, SignalDuringPollReturnsInterrupted) {
  struct sigaction sa {};
  sa.sa_handler = on_sigusr1;  // no SA_RESTART: the wait sees EINTR
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);

  auto waker = poll::Waker::create(registry(), Token(1));
  ASSERT_TRUE(waker);
  std::promise<pthread_t> started;
  std::atomic<bool> returned{false};
  Result<void> result;
  std::thread poller([&] {
    started.set_value(::pthread_self());
    Events events(4);
    result = poll().poll(events, std::nullopt);
    returned.store(true);
  });
  const pthread_t id = started.get_future().get();
  // The signal may land before the thread blocks; keep sending until poll() returns.
  for (int i = 0; i < 300 && !returned.load(); ++i) {
    ::pthread_kill(id, SIGUSR1);
    std::this_thread::sleep_for(10ms);
  }
  if (!returned.load()) waker->wake();  // never hang the suite; the check below fails
  poller.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), std::errc::interrupted) << result.error().message();
  // The caller polls again and keeps working.
  waker->wake();
  EXPECT_TRUE(wait_for(Token(1)));
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(CrossThread);

}  // namespace
}  // namespace evq::test
