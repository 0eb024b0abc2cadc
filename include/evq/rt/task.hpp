// evq::rt::Task<T>: a lazy, move-only coroutine that produces a T (or throws).
//
// A Task starts when it is awaited (or spawned) and resumes its awaiter when it finishes; an
// exception thrown inside reaches whoever awaits it. The Task object owns the coroutine frame
// and frees it exactly once, when the Task is destroyed (a finished or never-started frame) or
// when its root task is destroyed by the runtime.
//
// Stack depth: control passes between coroutines through a per-thread trampoline
// (detail::resume), never by a nested resume() call, so a chain of any number of synchronous
// completions runs in constant stack on every compiler and optimisation level. (g++ 12 does not
// turn symmetric transfer into a tail call at -O0/-O1 or under sanitizers, so evq does not rely
// on it.) Only the trampoline may resume a coroutine.
//
// Thread-safety: a Task is used by one thread at a time.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace evq::rt {

template <class T = void>
class Task;

namespace detail {

// The coroutine the trampoline resumes next on this thread (set by await_suspend, last thing).
inline thread_local std::coroutine_handle<> next_to_resume;

// Hands control to `h` once the running coroutine has suspended (symmetric transfer, by hand).
inline void transfer_to(std::coroutine_handle<> h) noexcept {
  next_to_resume = h;
}

// The trampoline: resumes `h`, then whatever it transferred to, until a coroutine suspends
// without naming a successor. Re-entrant: a nested call keeps the outer successor.
inline void resume(std::coroutine_handle<> h) noexcept {
  const std::coroutine_handle<> outer = std::exchange(next_to_resume, nullptr);
  while (h) {
    h.resume();
    h = std::exchange(next_to_resume, nullptr);
  }
  next_to_resume = outer;
}

// The size of the coroutine frame this thread allocated last for a Task: tests pin the frame
// sizes that memory per connection depends on (a parked connection is mostly its frame).
inline thread_local std::size_t last_frame_size = 0;

struct PromiseBase {
  std::coroutine_handle<> continuation;  // who awaits this task; none for a root task
  std::exception_ptr exception;

  static void* operator new(std::size_t n) {
    last_frame_size = n;
    return ::operator new(n);
  }
  static void operator delete(void* p) noexcept { ::operator delete(p); }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
      transfer_to(h.promise().continuation);
    }
    void await_resume() noexcept {}
  };

  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  Task() noexcept = default;
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }
  [[nodiscard]] bool done() const noexcept { return h_ && h_.done(); }

  // Awaiting starts the task; the awaiter resumes when it finishes, with its value or exception.
  auto operator co_await() && noexcept { return Awaiter{h_}; }
  auto operator co_await() & noexcept { return Awaiter{h_}; }

  // For the runtime: the frame, still owned by this Task.
  [[nodiscard]] handle_type handle() const noexcept { return h_; }

 private:
  friend promise_type;
  explicit Task(handle_type h) noexcept : h_(h) {}

  struct Awaiter {
    handle_type h;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) noexcept {
      assert(h && !h.done() && "awaiting an empty or already finished Task");
      h.promise().continuation = awaiting;
      detail::transfer_to(h);
    }
    T await_resume() { return h.promise().take(); }
  };

  handle_type h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace evq::rt
