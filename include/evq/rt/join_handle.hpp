// evq::rt::JoinHandle<T>: the handle of a spawned task (tokio's JoinHandle, in C++).
//
// `co_await handle` waits for the task and gives Result<T>: its value, or Errc::cancelled if it
// was aborted; an exception the task threw is rethrown to the awaiter. abort() requests
// cancellation: the task's pending operation is cancelled, the runtime waits until that
// operation has completed, then frees the task's frame and resolves the handle with cancelled.
// Destroying the handle detaches the task: it keeps running, its result is dropped.
// Thread-safety: the runtime's thread only. Lifetime: the handle may outlive the task and the
// task the handle; neither keeps the runtime alive.
// Cancellation (of the awaiter): aborting a task that awaits a handle stops the wait only; the
// awaited task keeps running.
#pragma once

#include <array>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "evq/error.hpp"
#include "evq/result.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/rt/task.hpp"

namespace evq::rt {

template <class T>
class JoinHandle;

namespace detail {

// What a task leaves for its JoinHandle, whatever its type.
struct JoinStateBase {
  TaskHeader* task = nullptr;    // while the task's frame lives
  TaskHeader* waiter = nullptr;  // a task suspended until this one finishes
  bool done = false;
  bool cancelled = false;
  std::exception_ptr exception;

  void finished() noexcept {
    done = true;
    task = nullptr;
    if (TaskHeader* w = std::exchange(waiter, nullptr)) {
      w->pending = nullptr;
      w->scheduler->schedule(*w);
    }
  }
};

template <class T>
struct JoinState : JoinStateBase {
  using Stored = std::conditional_t<std::is_void_v<T>, bool, T>;
  std::optional<Stored> value;
};

// Suspends the current task until one of `states` is done (a cancellable wait). Each state
// names the waiter until it finishes or the wait ends; await_resume unregisters from all.
struct AnyAwaiter : PendingOp {
  std::span<JoinStateBase* const> states;
  TaskHeader* self = nullptr;

  explicit AnyAwaiter(std::span<JoinStateBase* const> s) noexcept : PendingOp{&cancel}, states(s) {}
  AnyAwaiter(const AnyAwaiter&) = delete;
  // A frame freed between a child's wake-up and this task's resumption (it was aborted) must
  // not stay registered with the other children: their completion would touch a freed header.
  ~AnyAwaiter() { unregister(); }

  bool await_ready() const noexcept {
    for (auto* s : states)
      if (s->done) return true;
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    self = current_task;
    self->resume_at = h;
    self->pending = this;
    for (auto* s : states)
      s->waiter = self;
  }
  void await_resume() noexcept { unregister(); }

 private:
  void unregister() noexcept {
    for (auto* s : states)
      if (s->waiter == self) s->waiter = nullptr;
  }
  static void cancel(PendingOp& op) noexcept {
    auto& a = static_cast<AnyAwaiter&>(op);
    a.unregister();
    a.self->pending = nullptr;
    a.self->scheduler->schedule(*a.self);
  }
};

// The root coroutine of a spawned task: its promise carries the task's header, and resolves
// the task's state as cancelled if the frame is destroyed before the task finished (aborted,
// possibly before it ever ran; or freed at runtime shutdown).
struct RootTask {
  struct promise_type {
    TaskHeader header;
    JoinStateBase* state;

    // Sees run_root's parameters; the parameter copy keeps the state alive past this promise.
    template <class State, class... Rest>
    explicit promise_type(State& s, Rest&...) noexcept : state(s.get()) {}
    ~promise_type() {
      if (!state->done) {
        state->cancelled = true;
        state->finished();
      }
    }

    RootTask get_return_object() noexcept {
      header.root = std::coroutine_handle<promise_type>::from_promise(*this);
      header.resume_at = header.root;
      return RootTask{&header};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }  // the scheduler frees it
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // run_root catches everything
  };
  TaskHeader* header;
};

template <class T>
RootTask run_root(std::shared_ptr<JoinState<T>> state, Task<T> task) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      state->value.emplace(true);
    } else {
      state->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    state->exception = std::current_exception();
  }
  state->finished();
}

// Structured concurrency for combinators: if the frame holding this guard is destroyed (its task
// aborted) while children still run, the children are aborted too, so none outlives the
// references it was given into that frame.
template <std::size_t N>
struct AbortChildrenOnDrop {
  std::array<JoinStateBase*, N> children;
  ~AbortChildrenOnDrop() {
    for (JoinStateBase* s : children)
      if (!s->done && s->task) s->task->scheduler->abort(*s->task);
  }
};

// Suspends the current task until `state` is done (a cancellable wait).
template <class T>
struct JoinAwaiter : PendingOp {
  JoinState<T>* state;
  TaskHeader* self = nullptr;

  explicit JoinAwaiter(JoinState<T>* s) noexcept : PendingOp{&cancel}, state(s) {}

  static void cancel(PendingOp& op) noexcept {
    auto& a = static_cast<JoinAwaiter&>(op);
    a.state->waiter = nullptr;
    a.self->pending = nullptr;
    a.self->scheduler->schedule(*a.self);
  }

  bool await_ready() const noexcept { return state->done; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    self = current_task;
    self->resume_at = h;
    self->pending = this;
    state->waiter = self;
  }
  Result<T> await_resume() {
    if (state->exception) std::rethrow_exception(state->exception);
    if (state->cancelled) return fail(Errc::cancelled);
    if constexpr (std::is_void_v<T>) {
      return {};
    } else {
      return std::move(*state->value);
    }
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() noexcept = default;
  // Move-only: a task has one joiner (its state has one waiter slot).
  JoinHandle(JoinHandle&&) noexcept = default;
  JoinHandle& operator=(JoinHandle&&) noexcept = default;
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;

  // Requests cancellation; see the class comment. A no-op once the task finished.
  void abort() noexcept {
    if (state_ && state_->task) state_->task->scheduler->abort(*state_->task);
  }
  // Lets the task run on with nobody waiting for it.
  void detach() noexcept { state_.reset(); }
  [[nodiscard]] bool is_finished() const noexcept { return state_ && state_->done; }
  // For combinators (when_any, timeout): the state to wait on.
  [[nodiscard]] detail::JoinStateBase* state() const noexcept { return state_.get(); }

  auto operator co_await() noexcept { return detail::JoinAwaiter<T>(state_.get()); }

 private:
  template <class U>
  friend JoinHandle<U> spawn_on(detail::Scheduler&, Task<U>, Priority);
  friend class Runtime;
  explicit JoinHandle(std::shared_ptr<detail::JoinState<T>> s) noexcept : state_(std::move(s)) {}
  std::shared_ptr<detail::JoinState<T>> state_;
};

// Spawns `task` on `scheduler` (Runtime::spawn and evq::rt::spawn call this).
template <class T>
JoinHandle<T> spawn_on(detail::Scheduler& scheduler, Task<T> task,
                       Priority priority = Priority::normal) {
  auto state = std::make_shared<detail::JoinState<T>>();
  detail::RootTask root = detail::run_root<T>(state, std::move(task));
  state->task = root.header;
  root.header->priority = priority;
  scheduler.adopt(*root.header);
  return JoinHandle<T>(std::move(state));
}

// Spawns onto the runtime running the current task. Call it from inside a task. A task of a
// higher priority runs before every runnable task of a lower one (see Scheduler::run_ready).
template <class T>
JoinHandle<T> spawn(Task<T> task, Priority priority = Priority::normal) {
  return spawn_on(*detail::current_task->scheduler, std::move(task), priority);
}

}  // namespace evq::rt
