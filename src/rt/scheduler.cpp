#include "evq/rt/scheduler.hpp"

#include <stdexcept>

#include "evq/rt/task.hpp"

namespace evq::rt::detail {

Result<std::unique_ptr<Scheduler>> Scheduler::create(poll::PollOptions options) {
  auto d = make_readiness_driver(options);
  if (!d) return fail(d.error());
  return create(std::move(*d));
}

std::unique_ptr<Scheduler> Scheduler::create(std::unique_ptr<Driver> driver) {
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(driver)));
}

Scheduler::Scheduler(std::unique_ptr<Driver> driver) noexcept
    : driver_(std::move(driver)), origin_(Clock::now()), timers_(0) {}

Scheduler::~Scheduler() {
  // Shutdown: end every wait (so no task is registered with another's state), let the driver
  // complete the cancellations (a completion driver may still write into a frame until then),
  // then free the frames without running them.
  for (TaskHeader* t = live_head_; t; t = t->next_live) {
    t->aborted = true;
    if (t->pending) t->pending->cancel(*t->pending);
  }
  for (int i = 0; driver_->pending() > 0 && i < 100; ++i) {
    if (!driver_->turn(std::chrono::milliseconds(10))) break;
  }
  // Completions from here on (a socket detached as its frame is freed completes its own
  // operations) must not queue anything: the run queue is about to point into freed frames.
  shutting_down_ = true;
  head_ = tail_ = nullptr;
  while (live_head_) {
    TaskHeader& t = *live_head_;
    if (t.pending) {
      // Its operation never completed: freeing the frame could let the OS write into freed
      // memory. Leak it instead (only a driver that fails to finish a cancellation gets here).
      live_head_ = t.next_live;
      continue;
    }
    finish(t);
  }
}

void Scheduler::adopt(TaskHeader& header) noexcept {
  header.scheduler = this;
  header.next_live = live_head_;
  if (live_head_) live_head_->prev_live = &header;
  live_head_ = &header;
  ++live_;
  schedule(header);
}

void Scheduler::schedule(TaskHeader& header) noexcept {
  if (header.queued || shutting_down_) return;
  header.queued = true;
  header.next = nullptr;
  if (tail_) {
    tail_->next = &header;
  } else {
    head_ = &header;
  }
  tail_ = &header;
}

void Scheduler::abort(TaskHeader& header) noexcept {
  if (header.aborted) return;
  header.aborted = true;
  // A queued task is freed when popped; a running one has its next wait cancelled as soon as it
  // suspends (run_ready); a waiting one is asked to stop waiting, and is popped (and freed) once
  // its operation has completed.
  if (header.pending) header.pending->cancel(*header.pending);
}

void Scheduler::finish(TaskHeader& header) noexcept {
  if (header.prev_live) header.prev_live->next_live = header.next_live;
  if (header.next_live) header.next_live->prev_live = header.prev_live;
  if (live_head_ == &header) live_head_ = header.next_live;
  --live_;
  header.root.destroy();  // `header` lives in this frame: last use
}

void Scheduler::run_ready() {
  // Only what is queued now: a task that yields goes behind the timers and I/O of this turn.
  TaskHeader* batch = std::exchange(head_, nullptr);
  tail_ = nullptr;
  while (batch) {
    TaskHeader& t = *batch;
    batch = t.next;
    t.queued = false;
    if (t.aborted && !t.pending) {
      finish(t);
      continue;
    }
    current_task = &t;
    t.budget = kTaskBudget;
    resume(t.resume_at);
    current_task = nullptr;
    if (t.root.done()) {
      finish(t);
    } else if (t.aborted && t.pending) {
      t.pending->cancel(*t.pending);  // aborted while running: end the wait it started since
    }
  }
}

std::uint64_t Scheduler::now_ms() const noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - origin_).count());
}

std::uint64_t Scheduler::deadline_ms(Clock::time_point t) const noexcept {
  if (t <= origin_) return 0;
  // Rounded up: a timer never fires before its time.
  return static_cast<std::uint64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(t - origin_).count());
}

void Scheduler::wait_for_work() {
  std::optional<std::chrono::nanoseconds> timeout;
  if (head_) {
    timeout = std::chrono::nanoseconds(0);
  } else if (auto next = timers_.next_deadline()) {
    const std::uint64_t now = now_ms();
    timeout = std::chrono::milliseconds(*next > now ? *next - now : 0);
  } else if (driver_->pending() == 0) {
    throw std::logic_error("evq::rt: deadlock: no task can run and nothing is pending");
  }
  if (auto r = driver_->turn(timeout); !r) throw std::system_error(r.error());
  timers_.advance(now_ms());
}

void Scheduler::run_until(const bool& done) {
  while (!done) {
    run_ready();
    if (done) break;
    wait_for_work();
  }
}

}  // namespace evq::rt::detail
