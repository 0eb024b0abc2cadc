// The runtime's view of a task: its header, and the cancellable waits it can be suspended on.
// See scheduler.hpp for the protocol. Thread-safety: the runtime's thread only.
#pragma once

#include <coroutine>
#include <cstdint>

namespace evq::rt {

// Run-queue levels: the scheduler runs every runnable task of a higher level before those of a
// lower one (see Scheduler::run_ready for how a busy low level is interrupted).
enum class Priority : std::uint8_t { low = 0, normal = 1, high = 2 };

}  // namespace evq::rt

namespace evq::rt::detail {

// A wait that abort() can cancel. cancel() must end the wait (at once or later) by clearing
// the header's `pending` and scheduling the header.
struct PendingOp {
  void (*cancel)(PendingOp&) noexcept;
};

class Scheduler;

inline constexpr int kPriorities = 3;

struct TaskHeader {
  Scheduler* scheduler = nullptr;
  std::coroutine_handle<> root;       // the frame to destroy when finished or aborted
  std::coroutine_handle<> resume_at;  // where the task continues when scheduled
  PendingOp* pending = nullptr;       // the cancellable wait it is suspended on, if any
  TaskHeader* next = nullptr;         // run queue link
  TaskHeader* prev_live = nullptr;    // live-task list links (for shutdown)
  TaskHeader* next_live = nullptr;
  std::uint32_t budget = 0;  // operations it may still complete without yielding
  // rt::timeout: how many timeouts the task is inside, and the depth of the one whose deadline
  // passed and whose caller the task is being sent back to (0: none). An inner deadline never
  // overrides an outer one that already fired.
  std::uint16_t timeout_depth = 0;
  std::uint16_t unwinding_to = 0;
  bool queued = false;
  bool aborted = false;
  Priority priority = Priority::normal;
  // A callback task (no coroutine: `root` and `resume_at` stay empty): the scheduler calls this
  // instead of resuming, and never frees it (its owner does, after detaching what it waits on).
  // It may destroy the header it is given.
  void (*run)(TaskHeader&) = nullptr;
};

// Operations a task may complete at once (without waiting) per turn before it is made to yield,
// so a connection that always has data cannot starve the others (tokio's coop budget).
inline constexpr std::uint32_t kTaskBudget = 128;

// After an operation completed at once: spends one unit of the task's budget; false when it
// must yield now.
inline bool consume_budget(TaskHeader& t) noexcept {
  return t.budget == 0 ? false : --t.budget > 0;
}

// Before an operation the caller makes itself (try_read): spends one unit, or says false when
// none is left (then yield instead of doing it). Outside a task there is no budget.
inline bool spend_budget_before(TaskHeader* t) noexcept {
  if (!t) return true;
  if (t->budget == 0) return false;
  --t->budget;
  return true;
}

// The task the scheduler is running on this thread (null outside tasks).
inline thread_local TaskHeader* current_task = nullptr;

}  // namespace evq::rt::detail
