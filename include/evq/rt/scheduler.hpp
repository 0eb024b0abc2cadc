// evq::rt::detail: the current-thread scheduler under Runtime, and the task header every
// spawned task carries. Internal, but in a public header because Runtime's templates use it.
//
// Protocol
//  - Every spawned task has a root coroutine whose promise holds a TaskHeader. The scheduler
//    only ever resumes tasks through their header: it pops a header from the run queue and
//    resumes `resume_at` (the innermost coroutine that suspended) on the trampoline.
//  - A coroutine that suspends on something external (a timer, a join, later I/O) records
//    `resume_at` and, if the wait can be cancelled, a PendingOp in its header. Whoever completes
//    the wait clears `pending` and calls schedule(header).
//  - Abort is a request followed by a completion: abort() marks the header, asks the pending
//    operation to cancel, and the operation completes (now, for a timer; later, for a driver
//    operation that the kernel still owns). Only when the header is popped again does the
//    scheduler destroy the root frame, never while an operation may still use the frame.
//  - A root that finished (or was destroyed) is freed by the scheduler right after the resume
//    that finished it; nothing else frees root frames.
// Thread-safety: everything here belongs to the runtime's thread.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>

#include "evq/poll/poll.hpp"
#include "evq/result.hpp"
#include "evq/rt/detail/timer_wheel.hpp"
#include "evq/rt/driver.hpp"
#include "evq/rt/task_header.hpp"

namespace evq::rt::detail {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  [[nodiscard]] static Result<std::unique_ptr<Scheduler>> create(poll::PollOptions options);
  // On a driver of the caller's choosing (tests use a fake one).
  [[nodiscard]] static std::unique_ptr<Scheduler> create(std::unique_ptr<Driver> driver);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Takes a new root (its promise holds `header`) and queues it.
  void adopt(TaskHeader& header) noexcept;
  // Makes a task runnable (at its header's priority); a no-op if it already is.
  void schedule(TaskHeader& header) noexcept;
  // Requests cancellation (see the protocol above).
  void abort(TaskHeader& header) noexcept;
  // Runs tasks, timers and I/O until `done` becomes true. Throws std::logic_error when nothing
  // can ever make it true (no runnable task, no timer, no pending wait).
  void run_until(const bool& done);

  // Timers, in whole milliseconds since the scheduler started.
  [[nodiscard]] std::uint64_t now_ms() const noexcept;
  [[nodiscard]] std::uint64_t deadline_ms(Clock::time_point t) const noexcept;
  [[nodiscard]] TimerWheel& timers() noexcept { return timers_; }
  [[nodiscard]] std::size_t live_tasks() const noexcept { return live_; }
  [[nodiscard]] Driver& driver() noexcept { return *driver_; }

 private:
  explicit Scheduler(std::unique_ptr<Driver> driver) noexcept;
  struct RunQueue {  // FIFO
    TaskHeader* head = nullptr;
    TaskHeader* tail = nullptr;
  };

  void run_ready();
  void run_one(TaskHeader& t);
  [[nodiscard]] bool higher_runnable(int level) noexcept;
  [[nodiscard]] bool any_runnable() const noexcept;
  void finish(TaskHeader& header) noexcept;  // frees a root that is done or aborted
  void wait_for_work();

  std::unique_ptr<Driver> driver_;
  Clock::time_point origin_;
  TimerWheel timers_;
  RunQueue queues_[kPriorities];  // by Priority
  TaskHeader* live_head_ = nullptr;
  std::size_t live_ = 0;
  std::size_t live_at_[kPriorities] = {};  // live tasks by priority
  bool shutting_down_ = false;
};

}  // namespace evq::rt::detail
