// Runtime: spawn, join, abort, timers, timeout, when_all/when_any, shutdown, and the
// cancellation protocol (a request, then a completion) with an operation that completes late.
// Inside coroutines, EXPECT_* then co_return: ASSERT_* would `return`, which coroutines cannot.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "counted.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "evq/rt/when.hpp"
#include "make_runtime.hpp"

namespace evq::rt {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::make_runtime;

Task<int> after(std::chrono::milliseconds d, int v) {
  co_await sleep(d);
  co_return v;
}

TEST(Runtime, SpawnedTasksRunConcurrentlyAndJoin) {
  auto main = []() -> Task<int> {
    auto a = spawn(after(200ms, 1));
    auto b = spawn(after(200ms, 2));
    auto ra = co_await a;
    auto rb = co_await b;
    co_return *ra + *rb;
  };
  const auto t0 = Clock::now();
  EXPECT_EQ(make_runtime().block_on(main()), 3);
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 390ms);  // the two sleeps overlapped (one after the other would take 400)
}

TEST(Runtime, SleepNeverWakesEarly) {
  auto main = []() -> Task<void> {
    for (auto d : {1ms, 5ms, 20ms}) {
      const auto t0 = Clock::now();
      co_await sleep(d);
      EXPECT_GE(Clock::now() - t0, d);
    }
  };
  make_runtime().block_on(main());
}

TEST(Runtime, TimersWithEqualDeadlinesFireInStartOrder) {
  auto main = []() -> Task<std::vector<int>> {
    std::vector<int> order;
    const auto when = Clock::now() + 30ms;
    std::vector<JoinHandle<void>> hs;
    for (int i = 0; i < 50; ++i) {
      hs.push_back(spawn([](int i, std::vector<int>& order, Clock::time_point when) -> Task<void> {
        co_await sleep_until(when);
        order.push_back(i);
      }(i, order, when)));
    }
    for (auto& h : hs)
      (void)co_await h;
    co_return order;
  };
  auto order = make_runtime().block_on(main());
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(order[i], i);
}

TEST(Runtime, ExceptionOfASpawnedTaskReachesItsJoiner) {
  auto main = []() -> Task<bool> {
    auto h = spawn([]() -> Task<int> {
      throw std::runtime_error("spawned failure");
      co_return 0;
    }());
    try {
      (void)co_await h;
    } catch (const std::runtime_error&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(make_runtime().block_on(main()));
}

TEST(Runtime, AbortStopsASleepingTaskAtOnceAndFreesItsFrame) {
  Counted::reset();
  auto main = []() -> Task<void> {
    auto h = spawn([](Counted) -> Task<int> {
      co_await sleep(10s);
      co_return 1;
    }(Counted{}));
    co_await sleep(10ms);  // let it start sleeping
    EXPECT_EQ(Counted::alive, 1);
    const auto t0 = Clock::now();
    h.abort();
    auto r = co_await h;
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_FALSE(r);
    if (r) co_return;
    EXPECT_EQ(r.error(), Errc::cancelled);
    EXPECT_EQ(Counted::alive, 0);
  };
  make_runtime().block_on(main());
}

TEST(Runtime, AbortBeforeTheTaskEverRan) {
  bool ran = false;
  auto main = [](bool& ran) -> Task<void> {
    auto h = spawn([](bool& ran) -> Task<void> {
      ran = true;
      co_return;
    }(ran));
    h.abort();
    auto r = co_await h;
    EXPECT_FALSE(r);
  };
  make_runtime().block_on(main(ran));
  EXPECT_FALSE(ran);
}

TEST(Runtime, DetachedTasksKeepRunning) {
  auto main = []() -> Task<int> {
    int value = 0;
    spawn([](int& v) -> Task<void> {
      co_await sleep(5ms);
      v = 7;
    }(value))
        .detach();
    co_await sleep(30ms);
    co_return value;
  };
  EXPECT_EQ(make_runtime().block_on(main()), 7);
}

TEST(Runtime, YieldLetsOtherTasksRun) {
  auto main = []() -> Task<std::vector<int>> {
    std::vector<int> trace;
    auto worker = [](int id, std::vector<int>& trace) -> Task<void> {
      for (int i = 0; i < 3; ++i) {
        trace.push_back(id);
        co_await yield_now();
      }
    };
    auto a = spawn(worker(1, trace));
    auto b = spawn(worker(2, trace));
    (void)co_await a;
    (void)co_await b;
    co_return trace;
  };
  EXPECT_EQ(make_runtime().block_on(main()), (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

TEST(Runtime, TimeoutGivesTheValueWhenInTime) {
  auto main = []() -> Task<Result<int>> { co_return co_await timeout(1s, after(5ms, 9)); };
  auto r = make_runtime().block_on(main());
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 9);
}

TEST(Runtime, TimeoutFailsAndHasCancelledTheTaskWhenLate) {
  Counted::reset();
  auto slow = [](Counted) -> Task<int> {
    co_await sleep(10s);
    co_return 1;
  };
  auto main = [&]() -> Task<void> {
    const auto t0 = Clock::now();
    auto r = co_await timeout(20ms, slow(Counted{}));
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_FALSE(r);
    if (r) co_return;
    EXPECT_EQ(r.error(), Errc::timed_out);
    EXPECT_EQ(Counted::alive, 0);  // the loser's frame is gone before timeout returned
  };
  make_runtime().block_on(main());
}

TEST(Runtime, TimeoutRunsTheTaskInlineWithoutSpawning) {
  auto main = []() -> Task<std::size_t> {
    std::size_t seen = 0;
    auto probe = [](std::size_t& seen) -> Task<int> {
      co_await sleep(5ms);
      seen = evq::rt::detail::current_task->scheduler->live_tasks();
      co_return 1;
    };
    auto r = co_await timeout(1s, probe(seen));
    EXPECT_TRUE(r);
    co_return seen;
  };
  EXPECT_EQ(make_runtime().block_on(main()), 1u);  // only main itself
}

TEST(Runtime, TimeoutOfOneWaitGivesItsResultOrTimedOut) {
  auto main = []() -> Task<void> {
    auto in_time = co_await timeout(1s, sleep(5ms));
    EXPECT_TRUE(in_time);
    const auto t0 = Clock::now();
    auto late = co_await timeout(10ms, sleep(10s));
    EXPECT_LT(Clock::now() - t0, 1s);

    EXPECT_TRUE(!late && late.error() == Errc::timed_out);
    auto handle = spawn(after(5ms, 4));
    auto joined = co_await timeout(1s, std::move(handle).operator co_await());
    EXPECT_TRUE(joined && *joined && **joined == 4);
  };
  make_runtime().block_on(main());
}

TEST(Runtime, NestedTimeoutsTheEarlierDeadlineWins) {
  auto main = []() -> Task<void> {
    // The inner deadline is earlier: the inner timeout reports it, the outer one gets a value.
    auto inner_first = co_await timeout(10s, [](void) -> Task<bool> {
      auto r = co_await timeout(10ms, sleep(10s));
      co_return !r && r.error() == Errc::timed_out;
    }());
    EXPECT_TRUE(inner_first && *inner_first);
    // The outer deadline is earlier: the whole inner task is cut short, the outer reports it.
    Counted::reset();
    auto outer_first = co_await timeout(10ms, [](Counted) -> Task<bool> {
      auto r = co_await timeout(10s, sleep(10s));
      ADD_FAILURE() << "the inner timeout returned after the outer deadline";
      co_return static_cast<bool>(r);
    }(Counted{}));

    EXPECT_TRUE(!outer_first && outer_first.error() == Errc::timed_out);
    EXPECT_EQ(Counted::alive, 0);
    // Both deadlines in the same tick: the outer one wins (its caller resumes, once).
    auto same = co_await timeout(10ms, [](void) -> Task<int> {
      (void)co_await timeout(10ms, sleep(10s));
      co_return 7;
    }());
    EXPECT_TRUE(!same || *same == 7);
    // After all of that, a new timeout works from a clean state.
    auto again = co_await timeout(1s, after(1ms, 3));
    EXPECT_TRUE(again && *again == 3);
  };
  make_runtime().block_on(main());
}

TEST(Runtime, TimeoutCutsShortATaskThatOnlyYields) {
  auto main = []() -> Task<void> {
    auto r = co_await timeout(10ms, [](void) -> Task<void> {
      for (;;)
        co_await yield_now();
    }());
    EXPECT_FALSE(r);
  };
  make_runtime().block_on(main());
}

TEST(Runtime, WhenAllGivesEveryValue) {
  auto main = []() -> Task<std::tuple<int, std::monostate, int>> {
    co_return co_await when_all(
        after(20ms, 1), [](void) -> Task<void> { co_return; }(), after(10ms, 3));
  };
  auto [a, b, c] = make_runtime().block_on(main());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(c, 3);
  (void)b;
}

TEST(Runtime, WhenAllAbortsTheOthersWhenOneThrows) {
  Counted::reset();
  auto slow = [](Counted) -> Task<int> {
    co_await sleep(10s);
    co_return 1;
  };
  auto failing = []() -> Task<int> {
    co_await sleep(5ms);
    throw std::runtime_error("fails");
  };
  auto main = [&]() -> Task<void> {
    const auto t0 = Clock::now();
    std::string what;
    try {
      (void)co_await when_all(slow(Counted{}), failing());
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    EXPECT_EQ(what, "fails");  // the real failure, not the cancellation of its sibling
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_EQ(Counted::alive, 0);
  };
  make_runtime().block_on(main());
}

TEST(Runtime, WhenAnyGivesTheFirstAndCancelsTheRest) {
  Counted::reset();
  auto slow = [](Counted, int v) -> Task<int> {
    co_await sleep(10s);
    co_return v;
  };
  auto main = [&]() -> Task<std::pair<std::size_t, int>> {
    auto r = co_await when_any(slow(Counted{}, 1), after(10ms, 2), slow(Counted{}, 3));
    EXPECT_EQ(Counted::alive, 0);
    co_return r;
  };
  auto [index, value] = make_runtime().block_on(main());
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(value, 2);
}

TEST(Runtime, AbortingATaskInsideTimeoutAbortsItsChildrenToo) {
  Counted::reset();
  auto slow = [](Counted) -> Task<int> {
    co_await sleep(10s);
    co_return 1;
  };
  auto main = [&]() -> Task<void> {
    auto h = spawn([](Task<int> t) -> Task<Result<int>> {
      co_return co_await timeout(10s, std::move(t));
    }(slow(Counted{})));
    co_await sleep(10ms);
    EXPECT_EQ(Counted::alive, 1);
    h.abort();
    (void)co_await h;
    co_await sleep(5ms);  // the child's cancellation completes on the next turn
    EXPECT_EQ(Counted::alive, 0) << "the child of an aborted timeout kept running";
  };
  make_runtime().block_on(main());
}

// Regression (review): a timeout's task woken by one child and aborted before it ran stayed
// registered with the other child, whose completion then wrote into the freed frame (ASan).
TEST(Runtime, AbortBetweenAChildsWakeUpAndTheResumptionLeavesNoDanglingWaiter) {
  struct Shared {
    bool child_done = false;
    JoinHandle<void>* parent = nullptr;
  } shared;
  auto work = [](Shared& s) -> Task<int> {
    co_await yield_now();
    s.child_done = true;  // this finishes the child and queues the parent...
    co_return 1;
  };
  auto parent = [&](Shared& s) -> Task<void> {
    (void)co_await when_any(work(s), [&]() -> Task<int> {
      co_await sleep(1s);
      co_return 0;
    }());
  };
  auto aborter = [](Shared& s) -> Task<void> {
    while (!s.child_done)
      co_await yield_now();
    s.parent->abort();  // ...which is aborted before it runs
  };
  auto main = [&]() -> Task<bool> {
    auto p = spawn(parent(shared));
    shared.parent = &p;
    auto q = spawn(aborter(shared));
    co_await sleep(50ms);
    auto r = co_await p;
    (void)co_await q;
    co_return !r && r.error() == Errc::cancelled;
  };
  auto rt = make_runtime();
  EXPECT_TRUE(rt.block_on(main()));
  EXPECT_EQ(rt.live_tasks(), 0u);
}

// Regression (review): abort() of the running task was lost once it started a new wait.
TEST(Runtime, AbortOfTheRunningTaskCancelsTheWaitItStartsNext) {
  auto main = []() -> Task<std::chrono::nanoseconds> {
    JoinHandle<void> self;
    JoinHandle<void>* handle = &self;
    self = spawn([](JoinHandle<void>*& h) -> Task<void> {
      h->abort();
      co_await sleep(10s);
      ADD_FAILURE() << "ran on after its abort";
    }(handle));
    const auto t0 = Clock::now();
    auto r = co_await self;
    EXPECT_FALSE(r);
    co_return Clock::now() - t0;
  };
  EXPECT_LT(make_runtime().block_on(main()), 1s);
}

TEST(Runtime, BlockOnATaskThatCanNeverFinishIsAnError) {
  auto main = []() -> Task<void> {
    JoinHandle<void> self_wait;
    auto h = spawn([]() -> Task<void> { co_return; }());
    (void)co_await h;
    // Waits on nothing that will ever happen: a join of a task that waits for us.
    struct Never {
      bool await_ready() { return false; }
      void await_suspend(std::coroutine_handle<>) {}
      void await_resume() {}
    };
    co_await Never{};
  };
  EXPECT_THROW(make_runtime().block_on(main()), std::logic_error);
}

TEST(Runtime, DestroyingTheRuntimeFreesTasksStillAlive) {
  Counted::reset();
  {
    auto rt = make_runtime();
    auto main = []() -> Task<void> {
      spawn([](Counted) -> Task<void> { co_await sleep(10s); }(Counted{})).detach();
      co_await sleep(5ms);
    };
    rt.block_on(main());
    EXPECT_EQ(rt.live_tasks(), 1u);
    EXPECT_EQ(Counted::alive, 1);
  }
  EXPECT_EQ(Counted::alive, 0);
}

// An operation like a completion-queue read: cancel() only asks; the completion arrives later
// (here from another task). The frame must stay alive until then.
struct LateOp : detail::PendingOp {
  detail::TaskHeader* self = nullptr;
  bool cancel_requested = false;
  LateOp() noexcept : PendingOp{&on_cancel} {}
  static void on_cancel(PendingOp& op) noexcept {
    static_cast<LateOp&>(op).cancel_requested = true;
  }
  void complete() noexcept {
    self->pending = nullptr;
    self->scheduler->schedule(*self);
  }
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    self = detail::current_task;
    self->resume_at = h;
    self->pending = this;
  }
  void await_resume() {}
};

TEST(Runtime, AbortWaitsForTheOperationToCompleteBeforeFreeingTheFrame) {
  Counted::reset();
  auto main = []() -> Task<void> {
    LateOp* op = nullptr;
    auto h = spawn([](Counted, LateOp*& out) -> Task<void> {
      LateOp my_op;  // lives in this frame, like a buffer the kernel writes into
      out = &my_op;
      co_await my_op;
    }(Counted{}, op));
    co_await sleep(5ms);
    EXPECT_NE(op, nullptr);
    if (!op) co_return;
    h.abort();
    EXPECT_TRUE(op->cancel_requested);
    co_await sleep(20ms);  // the "kernel" still owns the operation
    EXPECT_EQ(Counted::alive, 1) << "frame freed while its operation was in flight";
    EXPECT_FALSE(h.is_finished());
    op->complete();  // the completion arrives
    auto r = co_await h;
    EXPECT_FALSE(r);
    EXPECT_EQ(Counted::alive, 0);
  };
  make_runtime().block_on(main());
}

}  // namespace
}  // namespace evq::rt
