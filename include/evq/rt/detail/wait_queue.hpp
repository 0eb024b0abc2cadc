// evq::rt::detail::WaitQueue: tasks waiting for a condition that another task makes true (a
// condition variable for the tasks of one runtime). The base of the fiber mutex and channel.
//
//   while (!condition) co_await queue.wait();   // (in a fiber: fiber::await(queue.wait()))
//   ... make the condition true, then queue.notify_one() or notify_all()
//
// Waiters are woken in the order they began to wait. A wait is cancellable (abort, timeout).
// A notification is never lost: if a woken waiter is destroyed before it runs (its task was
// aborted in between), it passes the notification on to the next waiter.
// Lifetime: the queue must outlive its waits. Thread-safety: the runtime's thread only.
#pragma once

#include <coroutine>

#include "evq/rt/scheduler.hpp"
#include "evq/rt/task_header.hpp"

namespace evq::rt::detail {

class WaitQueue {
 public:
  class Awaiter : PendingOp {
   public:
    explicit Awaiter(WaitQueue& q) noexcept : PendingOp{&cancel}, queue_(q) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() {
      if (linked_) queue_.unlink(*this);
      if (notified_ && !resumed_) queue_.notify_one();  // woken, never ran: pass it on
    }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      self_ = current_task;
      self_->resume_at = h;
      self_->pending = this;
      queue_.link(*this);
    }
    // True if notified, false if the wait was cancelled.
    bool await_resume() noexcept {
      resumed_ = true;
      return notified_;
    }

   private:
    friend class WaitQueue;
    void wake() noexcept {
      self_->pending = nullptr;
      self_->scheduler->schedule(*self_);
    }
    static void cancel(PendingOp& op) noexcept {
      auto& a = static_cast<Awaiter&>(op);
      if (a.linked_) a.queue_.unlink(a);
      a.wake();
    }

    WaitQueue& queue_;
    TaskHeader* self_ = nullptr;
    Awaiter* next_ = nullptr;
    Awaiter* prev_ = nullptr;
    bool linked_ = false;
    bool notified_ = false;
    bool resumed_ = false;
  };

  WaitQueue() noexcept = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  [[nodiscard]] Awaiter wait() noexcept { return Awaiter(*this); }
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }

  // Wakes the longest waiter, if any.
  void notify_one() noexcept {
    if (Awaiter* a = head_) {
      unlink(*a);
      a->notified_ = true;
      a->wake();
    }
  }
  void notify_all() noexcept {
    while (head_)
      notify_one();
  }

 private:
  void link(Awaiter& a) noexcept {
    a.prev_ = tail_;
    a.next_ = nullptr;
    (tail_ ? tail_->next_ : head_) = &a;
    tail_ = &a;
    a.linked_ = true;
  }
  void unlink(Awaiter& a) noexcept {
    (a.prev_ ? a.prev_->next_ : head_) = a.next_;
    (a.next_ ? a.next_->prev_ : tail_) = a.prev_;
    a.linked_ = false;
  }

  Awaiter* head_ = nullptr;
  Awaiter* tail_ = nullptr;
};

}  // namespace evq::rt::detail
