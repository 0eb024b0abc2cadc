// rt::Deadline: timeout(deadline, wait) cuts a wait short like timeout(d, wait), the deadline
// moves between waits, and it keeps one timer instead of one per wait.
// Inside coroutines, EXPECT_* then co_return: ASSERT_* would `return`, which coroutines cannot.
#include <gtest/gtest.h>

#include <chrono>

#include "counted.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "make_runtime.hpp"

namespace evq::rt {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::make_runtime;

std::size_t timers() {
  return detail::current_task->scheduler->timers().size();
}

TEST(Deadline, CutsAWaitShortWhenItPasses) {
  auto main = []() -> Task<void> {
    Deadline d;
    d.expires_after(20ms);
    const auto t0 = Clock::now();
    auto r = co_await timeout(d, sleep(10s));
    EXPECT_GE(Clock::now() - t0, 20ms);
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
  };
  make_runtime().block_on(main());
}

TEST(Deadline, MovedLaterBeforeEachWaitARunOfWaitsOutlivesTheFirstDeadline) {
  auto main = []() -> Task<void> {
    Deadline d;
    const auto t0 = Clock::now();
    for (int i = 0; i < 6; ++i) {
      d.expires_after(60ms);
      auto r = co_await timeout(d, sleep(20ms));
      EXPECT_TRUE(r) << "wait " << i;
    }
    EXPECT_GE(Clock::now() - t0, 120ms);  // well past the first deadline: it was re-armed
    d.expires_after(30ms);
    auto late = co_await timeout(d, sleep(10s));
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_TRUE(!late && late.error() == Errc::timed_out);
  };
  make_runtime().block_on(main());
}

TEST(Deadline, MovedEarlierTakesEffectAtTheNextWait) {
  auto main = []() -> Task<void> {
    Deadline d;
    d.expires_after(10s);
    EXPECT_TRUE(co_await timeout(d, sleep(5ms)));  // its timer now pends at 10 s
    d.expires_after(20ms);
    const auto t0 = Clock::now();
    auto r = co_await timeout(d, sleep(10s));
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
  };
  make_runtime().block_on(main());
}

TEST(Deadline, NeverSetHasPassedButAWaitThatCompletesAtOnceKeepsItsResult) {
  auto main = []() -> Task<void> {
    Deadline d;
    EXPECT_TRUE(co_await timeout(d, sleep(0ms)));  // ready: never suspends
    EXPECT_EQ(timers(), 0u);
    const auto t0 = Clock::now();
    auto r = co_await timeout(d, sleep(10s));
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
  };
  make_runtime().block_on(main());
}

TEST(Deadline, KeepsOneTimerForARunOfWaitsAndRemovesItWhenDestroyed) {
  auto main = []() -> Task<void> {
    {
      Deadline d;
      for (int i = 0; i < 3; ++i) {
        d.expires_after(10s);
        EXPECT_TRUE(co_await timeout(d, sleep(1ms)));
        EXPECT_EQ(timers(), 1u);  // still pending between waits: nothing was cancelled
      }
    }
    EXPECT_EQ(timers(), 0u);
  };
  make_runtime().block_on(main());
}

TEST(Deadline, InsideATimeoutTheEarlierDeadlineWins) {
  auto main = []() -> Task<void> {
    // The Deadline is earlier: the wait reports it, the outer timeout gets a value.
    auto inner_first = co_await timeout(10s, [](void) -> Task<bool> {
      Deadline d;
      d.expires_after(10ms);
      auto r = co_await timeout(d, sleep(10s));
      co_return !r && r.error() == Errc::timed_out;
    }());
    EXPECT_TRUE(inner_first && *inner_first);
    // The outer timeout is earlier: the whole task is cut short, frames freed.
    Counted::reset();
    auto outer_first = co_await timeout(10ms, [](Counted) -> Task<bool> {
      Deadline d;
      d.expires_after(10s);
      auto r = co_await timeout(d, sleep(10s));
      ADD_FAILURE() << "the Deadline's wait returned after the outer deadline";
      co_return static_cast<bool>(r);
    }(Counted{}));
    EXPECT_TRUE(!outer_first && outer_first.error() == Errc::timed_out);
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(timers(), 0u);
  };
  make_runtime().block_on(main());
}

TEST(Deadline, AbortingATaskThatWaitsWithOneFreesItAndItsTimer) {
  Counted::reset();
  auto main = []() -> Task<void> {
    auto h = spawn([](Counted) -> Task<void> {
      Deadline d;
      d.expires_after(10s);
      (void)co_await timeout(d, sleep(10s));
      ADD_FAILURE() << "the aborted wait returned";
    }(Counted{}));
    co_await sleep(10ms);  // let it start waiting
    h.abort();
    auto r = co_await h;
    EXPECT_FALSE(r);
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(timers(), 0u);
  };
  make_runtime().block_on(main());
}

}  // namespace
}  // namespace evq::rt
