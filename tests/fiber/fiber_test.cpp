// evq::fiber::Fiber and Stack: resume/suspend, exceptions, unwinding on destruction, lazy stack
// memory, and the stack-overflow report.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "evq/fiber/fiber.hpp"
#include "rt/counted.hpp"

namespace evq::fiber {
namespace {

Fiber make(std::function<void()> body, Fiber::Options o = Fiber::Options{}) {
  auto f = Fiber::create(std::move(body), std::move(o));
  if (!f) throw std::system_error(f.error());
  return std::move(*f);
}

TEST(Fiber, ResumeRunsUntilSuspendAndTheNextResumeContinuesThere) {
  std::vector<int> seen;
  Fiber f = make([&] {
    seen.push_back(1);
    Fiber::suspend();
    seen.push_back(2);
    Fiber::suspend();
    seen.push_back(3);
  });
  EXPECT_FALSE(Fiber::running_inside());
  f.resume();
  EXPECT_EQ(seen, (std::vector<int>{1}));
  f.resume();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_FALSE(f.done());
  f.resume();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(f.done());
}

TEST(Fiber, LocalsLiveOnItsOwnStackAcrossSuspensions) {
  int result = 0;
  Fiber f = make([&] {
    int local = 40;
    const int* where = &local;
    Fiber::suspend();
    local += 2;
    result = *where;
  });
  f.resume();
  f.resume();
  EXPECT_EQ(result, 42);
}

TEST(Fiber, FibersNestAndEachSuspendReturnsToItsOwnResumer) {
  std::string trace;
  Fiber inner = make([&] {
    trace += "i1 ";
    Fiber::suspend();
    trace += "i2 ";
  });
  Fiber outer = make([&] {
    trace += "o1 ";
    inner.resume();
    trace += "o2 ";
    Fiber::suspend();
    inner.resume();
    trace += "o3 ";
  });
  outer.resume();
  trace += "main ";
  outer.resume();
  EXPECT_EQ(trace, "o1 i1 o2 main i2 o3 ");
  EXPECT_TRUE(inner.done() && outer.done());
}

TEST(Fiber, AnExceptionFromTheBodyIsRethrownByResume) {
  Fiber f = make([] {
    Fiber::suspend();
    throw std::runtime_error("from the fiber");
  });
  f.resume();
  EXPECT_THROW(
      {
        try {
          f.resume();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "from the fiber");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_TRUE(f.done());
}

TEST(Fiber, DestroyingASuspendedFiberUnwindsItsStack) {
  Counted::reset();
  bool after_suspend = false;
  {
    Fiber f = make([&] {
      Counted a;
      {
        Counted b;
        Fiber::suspend();
        after_suspend = true;
      }
    });
    f.resume();
    EXPECT_EQ(Counted::alive, 2);
  }
  EXPECT_EQ(Counted::alive, 0);
  EXPECT_FALSE(after_suspend);
  // A fiber never started has nothing on its stack; one moved from owns nothing.
  Fiber never = make([] { ADD_FAILURE() << "ran"; });
  Fiber moved = std::move(never);
}

TEST(Fiber, AMillionSwitchesRunInConstantSpace) {
  long n = 0;
  Fiber f = make([&] {
    for (;;) {
      ++n;
      Fiber::suspend();
    }
  });
  for (int i = 0; i < 1'000'000; ++i)
    f.resume();
  EXPECT_EQ(n, 1'000'000);
}  // destroyed suspended: unwound

TEST(FiberStack, MemoryIsCommittedOnlyWhenTouched) {
  // 200 fibers with 1 MiB stacks each: reserved address space, a few pages of memory.
  auto rss_kib = [] {
    long pages = 0, resident = 0;
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr || std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    if (f != nullptr) std::fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
  };
  const long before = rss_kib();
  std::vector<Fiber> fibers;
  for (int i = 0; i < 200; ++i) {
    fibers.push_back(make([] { Fiber::suspend(); }, {.stack_size = 1 << 20}));
    fibers.back().resume();
  }
  const long grown = rss_kib() - before;
  EXPECT_LT(grown, 200 * 64) << "KiB for 200 shallow fibers with 1 MiB stacks";
}

TEST(FiberStack, HasAGuardBelowAndRoundsToPages) {
  auto s = Stack::allocate(1000);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size() % static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), 0u);
  EXPECT_GE(s->size(), 1000u);
  EXPECT_TRUE(s->in_guard(s->bottom() - 1));
  EXPECT_FALSE(s->in_guard(s->bottom()));
  s->bottom()[0] = std::byte{1};  // the whole usable range is writable
  s->top()[-1] = std::byte{1};
}

// Recursion that the compiler cannot turn into a loop.
int deep(int n) {
  volatile char pad[512];
  pad[0] = static_cast<char>(n);
  return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}

TEST(FiberDeathTest, AStackOverflowIsReportedByName) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Fiber f =
            make([] { (void)deep(1'000'000); }, {.stack_size = 64 * 1024, .name = "deep-one"});
        f.resume();
      },
      "evq: fiber \"deep-one\" overflowed its 65536-byte stack");
}

}  // namespace
}  // namespace evq::fiber
