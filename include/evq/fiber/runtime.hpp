// Green threads on evq::rt: fibers (stackful, fiber.hpp) scheduled by the same runtime, timers
// and driver as the coroutine tasks, so they run on every backend the runtime does.
//
//   rt.block_on(evq::fiber::run([] {                 // a fiber as the main task
//     auto h = evq::fiber::spawn([] { evq::fiber::sleep(10ms); });
//     evq::fiber::await(h);                          // any rt awaitable, from plain code
//   }));
//
// How: every fiber is hosted by an rt task (run() is that task's coroutine). Inside the fiber,
// await(x) begins x's wait exactly as co_await would in the host, then suspends the fiber; the
// host suspends too, and when the wait completes the scheduler resumes the host, which resumes
// the fiber, which takes x's result. So everything that works with co_await in a task works with
// await() in a fiber: I/O, sleep, timeout, join, and abort and timeout cancellation.
//
// Cancellation: aborting a fiber's JoinHandle cancels its current wait; the host's frame is then
// freed, which unwinds the fiber's stack (ForcedUnwind, see fiber.hpp: let it pass).
// Blocking: a fiber that makes a genuinely blocking call (read(2) on a blocking fd, sleep(3),
// std::mutex contention) blocks its whole runtime thread and every fiber and task on it, exactly
// like a blocking call in a coroutine or a Node callback. Use the fiber:: calls instead.
// Exceptions: one that escapes the fiber's function reaches the JoinHandle (await rethrows it).
// Do not suspend (await) inside a catch block: the exception in flight belongs to the thread.
// Thread-safety: a fiber runs on its runtime's thread; nothing here is to be used across threads.
#pragma once

#include <chrono>
#include <coroutine>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "evq/fiber/fiber.hpp"
#include "evq/rt/join_handle.hpp"
#include "evq/rt/task.hpp"
#include "evq/rt/time.hpp"

namespace evq::fiber {

struct SpawnOptions {
  std::size_t stack_size = Stack::kDefaultSize;  // reserved; pages are committed when touched
  rt::Priority priority = rt::Priority::normal;  // run-queue level (rt::Priority)
  std::string name = "fiber";                    // in the stack-overflow message
};

namespace detail {

// The host of the fiber running now on this thread (null outside fibers on a runtime).
inline thread_local std::coroutine_handle<> current_host = nullptr;

// Suspends the host without doing anything: the wait its fiber began already recorded where the
// task resumes (the host itself) and who completes it.
struct Park {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

// The awaiting coroutine's own handle, without suspending.
struct OwnHandle {
  std::coroutine_handle<> h;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> self) noexcept {
    h = self;
    return false;
  }
  std::coroutine_handle<> await_resume() const noexcept { return h; }
};

template <class X>
decltype(auto) awaiter_of(X&& x) {
  if constexpr (requires { std::forward<X>(x).operator co_await(); }) {
    return std::forward<X>(x).operator co_await();
  } else {
    return std::forward<X>(x);
  }
}

}  // namespace detail

// The host task of a fiber running `body`: await it, block_on it, or spawn it (spawn() does).
// Throws std::system_error if the fiber's stack cannot be mapped (out of memory or maps).
rt::Task<void> run(std::function<void()> body, SpawnOptions options = SpawnOptions{});

// Starts a fiber running `body` on the current task's runtime. Call from a task or a fiber.
inline rt::JoinHandle<void> spawn(std::function<void()> body,
                                  SpawnOptions options = SpawnOptions{}) {
  const rt::Priority p = options.priority;
  return rt::spawn(run(std::move(body), std::move(options)), p);
}

// Whether the caller is a fiber on a runtime (where await() may be called).
[[nodiscard]] inline bool inside() noexcept {
  return detail::current_host != nullptr;
}

// Waits for `x` (anything co_await accepts in a task) and returns its result; the fiber is
// suspended meanwhile, the thread runs everything else. Throws std::logic_error outside a fiber.
template <class X>
decltype(auto) await(X&& x) {
  if (!inside()) throw std::logic_error("evq::fiber::await called outside a fiber on a runtime");
  auto&& a = detail::awaiter_of(std::forward<X>(x));
  if (!a.await_ready() && rt::detail::suspend_inner(a, detail::current_host)) Fiber::suspend();
  return a.await_resume();
}

template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  await(rt::sleep(d));
}
inline void sleep_until(std::chrono::steady_clock::time_point t) {
  await(rt::sleep_until(t));
}
// Lets every other runnable fiber, task, timer and I/O event go first.
inline void yield_now() {
  await(rt::yield_now());
}

}  // namespace evq::fiber
