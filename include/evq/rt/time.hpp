// Time in evq::rt: sleep, sleep_until, yield_now, timeout and Deadline. Call them from inside a
// task.
//
// Resolution: 1 ms; a timer never fires early and fires within one loop turn after its time.
// Timers with equal deadlines fire in the order they were started.
// Cancellation: a task aborted while sleeping stops sleeping at once (the timer is removed).
#pragma once

#include <cassert>
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
  // Movable until awaited (so timeout() can hold it), never while the timer is armed.
  SleepAwaiter(SleepAwaiter&& o) noexcept : PendingOp{&cancel}, until_(o.until_) {
    assert(!o.scheduler_);
  }
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

namespace detail {

// The protocol of cutting a task's wait short when a deadline passes, shared by the timeouts and
// Deadline: once the deadline passed, the task goes back to the waiter's caller. The timer fires
// from the scheduler's loop, never while the task runs. If the task waits on a cancellable
// operation, that operation is cancelled and the task resumes at the caller only once it has
// completed (cancellation is a request followed by a completion); the inner frames are destroyed
// there. Nested cutoffs: the outer one wins (depth, unwinding_to).
class Cutoff {
 public:
  void begin(std::coroutine_handle<> caller) noexcept {
    self_ = current_task;
    caller_ = caller;
    depth_ = ++self_->timeout_depth;
  }
  // On resumption at the caller: true if the deadline passed (the inner work was cut short).
  bool end() noexcept {
    if (!self_) return false;  // never began
    self_->timeout_depth = static_cast<std::uint16_t>(depth_ - 1);
    self_->unwinding_to = 0;
    return expired_;
  }
  // The deadline passed. `only_while_waiting`: a wait that already completed keeps its result.
  void expire(bool only_while_waiting) noexcept {
    TaskHeader& h = *self_;
    if (h.unwinding_to != 0 && h.unwinding_to <= depth_) return;  // an outer one fired
    if (only_while_waiting && !h.pending) return;  // it completed first: its result stands
    expired_ = true;
    h.unwinding_to = depth_;
    h.resume_at = caller_;
    if (h.pending) {
      h.pending->cancel(*h.pending);  // completes (now or later) and schedules the task
    } else {
      h.scheduler->schedule(h);
    }
  }

 private:
  TaskHeader* self_ = nullptr;
  std::coroutine_handle<> caller_;
  std::uint16_t depth_ = 0;
  bool expired_ = false;
};

// What both timeout awaiters share: a timer of their own, inserted when the wait begins and
// cancelled when it ends.
class TimeoutBase : TimerEntry, Cutoff {
 protected:
  TimeoutBase(Scheduler::Clock::time_point until, bool only_while_waiting) noexcept
      : TimerEntry(&fired),
        when_(until.time_since_epoch()),
        only_while_waiting_(only_while_waiting),
        relative_(false) {}
  TimeoutBase(Scheduler::Clock::duration d, bool only_while_waiting) noexcept
      : TimerEntry(&fired), when_(d), only_while_waiting_(only_while_waiting), relative_(true) {}
  TimeoutBase(const TimeoutBase&) = delete;
  TimeoutBase& operator=(const TimeoutBase&) = delete;
  // The scheduler, not the header: frames a timeout owns may be destroyed after the header
  // (when the task is aborted).
  ~TimeoutBase() {
    if (scheduler_) scheduler_->timers().cancel(*this);
  }

  void arm(std::coroutine_handle<> caller) noexcept {
    begin(caller);
    scheduler_ = current_task->scheduler;
    // A duration counts from here: a wait that completed at once never read the clock.
    const auto until =
        relative_ ? Scheduler::Clock::now() + when_ : Scheduler::Clock::time_point(when_);
    scheduler_->timers().insert(*this, scheduler_->deadline_ms(until));
  }
  bool disarm() noexcept {
    if (scheduler_) scheduler_->timers().cancel(*this);
    return end();
  }

 private:
  static void fired(TimerEntry& e) noexcept {
    auto& t = static_cast<TimeoutBase&>(e);
    t.expire(t.only_while_waiting_);
  }

  Scheduler::Clock::duration when_;  // the deadline (since the clock's epoch) or the duration
  Scheduler* scheduler_ = nullptr;
  bool only_while_waiting_;
  bool relative_;  // when_ is a duration from arm()
};

}  // namespace detail

// A deadline for a run of waits, such as a connection's idle timeout: timeout(deadline, wait)
// cuts the wait short when the deadline passes, exactly as timeout(d, wait) does, and the
// deadline may be moved (later or earlier) between waits. Where timeout(d, ...) inserts and
// cancels a timer around every wait, a Deadline keeps one timer: a wait inserts it only if it is
// not already pending at or before the deadline, and a timer that fires before a deadline that
// was moved later is inserted again at it (only while a wait is in progress). So a busy
// connection touches the timer wheel about once per deadline period instead of twice per wait
// (asio's "check_deadline" pattern).
//
// Use: from one task, one wait at a time; declare it before the waits that use it (it must
// outlive them). Not thread-safe. A deadline never set is the clock's epoch: already passed.
class Deadline : detail::TimerEntry {
 public:
  Deadline() noexcept : TimerEntry(&fired) {}
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline() {
    if (scheduler_) scheduler_->timers().cancel(*this);
  }

  void expires_at(std::chrono::steady_clock::time_point t) noexcept { until_ = t; }
  template <class Rep, class Period>
  void expires_after(std::chrono::duration<Rep, Period> d) noexcept {
    until_ = std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  [[nodiscard]] std::chrono::steady_clock::time_point expiry() const noexcept { return until_; }

  // For timeout(Deadline&, wait): a wait begins (the timer must fire no later than the
  // deadline), or ends.
  void watch(detail::Cutoff& waiter) noexcept {
    waiter_ = &waiter;
    scheduler_ = detail::current_task->scheduler;
    const std::uint64_t at = scheduler_->deadline_ms(until_);
    if (!detail::TimerWheel::inserted(*this) || deadline() > at) {
      scheduler_->timers().insert(*this, at);
    }
  }
  void unwatch(const detail::Cutoff& waiter) noexcept {
    if (waiter_ == &waiter) waiter_ = nullptr;
  }

 private:
  static void fired(detail::TimerEntry& e) noexcept {
    auto& d = static_cast<Deadline&>(e);
    if (!d.waiter_) return;  // between waits: the next wait inserts it again
    const std::uint64_t at = d.scheduler_->deadline_ms(d.until_);
    if (at > d.deadline()) {
      d.scheduler_->timers().insert(d, at);  // moved later since it was inserted
    } else {
      d.waiter_->expire(true);
    }
  }

  std::chrono::steady_clock::time_point until_{};
  detail::Scheduler* scheduler_ = nullptr;
  detail::Cutoff* waiter_ = nullptr;  // the wait in progress, if any
};

namespace detail {

// Suspends a wrapped awaiter; false if it completed after all (await_suspend returned false).
template <class A>
bool suspend_inner(A& inner, std::coroutine_handle<> h) {
  using R = decltype(inner.await_suspend(h));
  if constexpr (std::is_void_v<R>) {
    inner.await_suspend(h);
    return true;
  } else {
    static_assert(std::is_same_v<R, bool>, "timeout: await_suspend must return void or bool");
    return inner.await_suspend(h);
  }
}

template <class T>
Result<T> wrap_result(auto&& produce) {
  if constexpr (std::is_void_v<T>) {
    produce();
    return {};
  } else {
    return produce();
  }
}

// timeout(d, Task<T>): runs the task inline, in the caller's task (nothing is spawned).
template <class T>
class TaskTimeout : TimeoutBase {
 public:
  template <class When>
  TaskTimeout(When when, Task<T> task) noexcept
      : TimeoutBase(when, false), task_(std::move(task)) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    arm(h);
    std::move(task_).operator co_await().await_suspend(h);  // starts it (by transfer)
  }
  Result<T> await_resume() {
    if (disarm()) {
      task_ = Task<T>();  // destroys the inner frames, suspended where they were cut short
      return fail(Errc::timed_out);
    }
    return wrap_result<T>([&]() -> T { return task_.handle().promise().take(); });
  }

 private:
  Task<T> task_;
};

// timeout(d, awaitable): one wait (an I/O operation, a sleep, a join) with a deadline. No timer
// is armed at all when the wait completes without suspending.
template <class A>
class AwaitTimeout : TimeoutBase {
  using Inner = decltype(std::declval<A&>().await_resume());

 public:
  template <class When>
  AwaitTimeout(When when, A&& inner) noexcept
      : TimeoutBase(when, true), inner_(std::forward<A>(inner)) {}

  bool await_ready() { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) {
    if (!suspend_inner(inner_, h)) return false;
    arm(h);  // nothing can complete the wait before the loop runs again
    return true;
  }
  // The inner result; Errc::timed_out when the deadline passed first (the wait was cancelled:
  // the inner awaiter's own result, such as operation_canceled, is not looked at).
  Result<Inner> await_resume() {
    if (disarm()) return fail(Errc::timed_out);
    return wrap_result<Inner>([&]() -> Inner { return inner_.await_resume(); });
  }

 private:
  A inner_;
};

// timeout(Deadline&, awaitable): one wait, cut short when the Deadline passes.
template <class A>
class DeadlineWait : Cutoff {
  using Inner = decltype(std::declval<A&>().await_resume());

 public:
  DeadlineWait(Deadline& deadline, A&& inner) noexcept
      : deadline_(deadline), inner_(std::forward<A>(inner)) {}
  DeadlineWait(const DeadlineWait&) = delete;
  DeadlineWait& operator=(const DeadlineWait&) = delete;
  ~DeadlineWait() { deadline_.unwatch(*this); }  // (an aborted task's frame)

  bool await_ready() { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) {
    if (!suspend_inner(inner_, h)) return false;
    begin(h);
    deadline_.watch(*this);
    return true;
  }
  Result<Inner> await_resume() {
    deadline_.unwatch(*this);
    if (end()) return fail(Errc::timed_out);
    return wrap_result<Inner>([&]() -> Inner { return inner_.await_resume(); });
  }

 private:
  Deadline& deadline_;
  A inner_;
};

}  // namespace detail

// Waits for `work` with a deadline: Result<T> with its value, or Errc::timed_out once `d`
// passed. `work` is either a Task<T> (run inline in the calling task, nothing spawned) or an
// awaiter for one wait (TcpStream::readable(), write(), sleep(), ...). On the deadline, what the
// task waits on is cancelled (abort's protocol: request, then completion) and the task resumes
// here only once that has completed; a Task's frames are destroyed before timeout returns. What
// a cut-short operation had already done is lost, as with abort (see evq/net/tcp.hpp). An
// exception the work threw is rethrown. Timeouts nest: the outer deadline wins.
template <class Rep, class Period, class T>
detail::TaskTimeout<T> timeout(std::chrono::duration<Rep, Period> d, Task<T> task) noexcept {
  return {std::chrono::duration_cast<detail::Scheduler::Clock::duration>(d), std::move(task)};
}
template <class Rep, class Period, class A>
requires requires(A a) {
  a.await_ready();
}
detail::AwaitTimeout<A> timeout(std::chrono::duration<Rep, Period> d, A&& awaiter) noexcept {
  return {std::chrono::duration_cast<detail::Scheduler::Clock::duration>(d),
          std::forward<A>(awaiter)};
}

// One wait with a Deadline (see Deadline): Errc::timed_out once it passed.
template <class A>
requires requires(A a) {
  a.await_ready();
}
detail::DeadlineWait<A> timeout(Deadline& deadline, A&& awaiter) noexcept {
  return {deadline, std::forward<A>(awaiter)};
}

// timeout with a deadline instead of a duration (tokio's timeout_at).
template <class T>
detail::TaskTimeout<T> timeout_at(std::chrono::steady_clock::time_point t, Task<T> task) noexcept {
  return {t, std::move(task)};
}
template <class A>
requires requires(A a) {
  a.await_ready();
}
detail::AwaitTimeout<A> timeout_at(std::chrono::steady_clock::time_point t, A&& awaiter) noexcept {
  return {t, std::forward<A>(awaiter)};
}

}  // namespace evq::rt
