// Time in evq::rt: sleep, sleep_until, yield_now and timeout. Call them from inside a task.
//
// Resolution: 1 ms; a timer never fires early and fires within one loop turn after its time.
// Timers with equal deadlines fire in the order they were started.
// Cancellation: a task aborted while sleeping stops sleeping at once (the timer is removed).
#pragma once

#include <chrono>
#include <coroutine>

#include "evq/error.hpp"
#include "evq/rt/join_handle.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/rt/task.hpp"

namespace evq::rt {

namespace detail {

class SleepAwaiter : PendingOp, TimerEntry {
 public:
  explicit SleepAwaiter(Scheduler::Clock::time_point until) noexcept
      : PendingOp{&cancel}, until_(until) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    // The scheduler, not the header: a root's header dies before the frames it owns.
    if (scheduler_) scheduler_->timers().cancel(*this);
  }

  bool await_ready() const noexcept { return Scheduler::Clock::now() >= until_; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    self_ = current_task;
    scheduler_ = self_->scheduler;
    self_->resume_at = h;
    self_->pending = this;
    fire = &fired;
    scheduler_->timers().insert(*this, scheduler_->deadline_ms(until_));
  }
  void await_resume() const noexcept {}

 private:
  static void wake(SleepAwaiter& a) noexcept {
    a.self_->pending = nullptr;
    a.self_->scheduler->schedule(*a.self_);
  }
  static void fired(TimerEntry& e) noexcept { wake(static_cast<SleepAwaiter&>(e)); }
  static void cancel(PendingOp& op) noexcept {
    auto& a = static_cast<SleepAwaiter&>(op);
    a.self_->scheduler->timers().cancel(a);
    wake(a);
  }

  Scheduler::Clock::time_point until_;
  TaskHeader* self_ = nullptr;
  Scheduler* scheduler_ = nullptr;
};

struct YieldAwaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    current_task->resume_at = h;
    current_task->scheduler->schedule(*current_task);
  }
  void await_resume() const noexcept {}
};

}  // namespace detail

inline detail::SleepAwaiter sleep_until(std::chrono::steady_clock::time_point t) noexcept {
  return detail::SleepAwaiter(t);
}

template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> d) noexcept {
  return sleep_until(std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
}

// Lets every other runnable task, timer and I/O event go first.
inline detail::YieldAwaiter yield_now() noexcept {
  return {};
}

// Runs `task` with a deadline: its value, or Errc::timed_out once `d` passed, in which case the
// task was aborted and its cancellation had completed before timeout returns. An exception the
// task threw is rethrown.
template <class T, class Rep, class Period>
Task<Result<T>> timeout(std::chrono::duration<Rep, Period> d, Task<T> task) {
  JoinHandle<T> work = spawn(std::move(task));
  JoinHandle<void> timer =
      spawn([](auto until) -> Task<void> {
        co_await sleep_until(until);
      }(std::chrono::steady_clock::now() +
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(d)));
  detail::AbortChildrenOnDrop<2> guard{{work.state(), timer.state()}};
  co_await detail::AnyAwaiter(guard.children);
  if (!work.is_finished()) {
    work.abort();
    (void)co_await work;  // wait until the cancellation has completed
    co_return fail(Errc::timed_out);
  }
  timer.abort();
  (void)co_await timer;
  co_return co_await work;
}

}  // namespace evq::rt
