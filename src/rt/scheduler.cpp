#include "evq/rt/scheduler.hpp"

#include <stdexcept>
#include <system_error>

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
  for (auto& q : queues_)
    q = {};
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
  ++live_at_[static_cast<int>(header.priority)];
  schedule(header);
}

void Scheduler::schedule(TaskHeader& header) noexcept {
  if (header.queued || shutting_down_) return;
  header.queued = true;
  header.next = nullptr;
  RunQueue& q = queues_[static_cast<int>(header.priority)];
  (q.tail ? q.tail->next : q.head) = &header;
  q.tail = &header;
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
  --live_at_[static_cast<int>(header.priority)];
  header.root.destroy();  // `header` lives in this frame: last use
}

void Scheduler::run_one(TaskHeader& t) {
  t.queued = false;
  current_task = &t;
  t.budget = kTaskBudget;
  if (t.run) {  // a callback task; it may be gone when run returns
    t.run(t);
    current_task = nullptr;
    return;
  }
  if (t.aborted && !t.pending) {
    current_task = nullptr;
    finish(t);
    return;
  }
  resume(t.resume_at);
  current_task = nullptr;
  if (t.root.done()) {
    finish(t);
  } else if (t.aborted && t.pending) {
    t.pending->cancel(*t.pending);  // aborted while running: end the wait it started since
  }
}

bool Scheduler::any_runnable() const noexcept {
  for (const auto& q : queues_)
    if (q.head) return true;
  return false;
}

// Is a task of a higher level than `level` runnable? Every kPollEvery tasks, while tasks of a
// higher level exist, the OS and the timers are also looked at without waiting, so a high task
// woken by I/O or a timer does not wait for a long batch of low ones.
bool Scheduler::higher_runnable(int level) noexcept {
  for (int p = kPriorities - 1; p > level; --p)
    if (queues_[p].head) return true;
  return false;
}

void Scheduler::run_ready() {
  // Each level runs what is queued now, highest level first: a task that yields goes behind the
  // timers and I/O of this turn. A batch is interrupted (its rest put back in front) as soon as
  // a higher level has work.
  constexpr unsigned kPollEvery = 64;
  for (int level = kPriorities - 1; level >= 0; --level) {
    RunQueue& q = queues_[level];
    TaskHeader* batch = std::exchange(q.head, nullptr);
    q.tail = nullptr;
    bool higher_exists = false;
    for (int p = level + 1; p < kPriorities; ++p)
      higher_exists = higher_exists || live_at_[p] > 0;
    for (unsigned n = 1; batch; ++n) {
      TaskHeader& t = *batch;
      batch = t.next;
      run_one(t);
      if (!batch || !higher_exists) continue;
      if (n % kPollEvery == 0) {
        if (auto r = driver_->turn(std::chrono::nanoseconds(0)); !r) {
          throw std::system_error(r.error());
        }
        timers_.advance(now_ms());
      }
      if (higher_runnable(level)) {
        // Put the rest back in front of what was queued at this level since.
        TaskHeader* last = batch;
        while (last->next)
          last = last->next;
        last->next = q.head;
        if (!q.head) q.tail = last;
        q.head = batch;
        return;
      }
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
  if (any_runnable()) {
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
