// evq::rt::Runtime: runs tasks (Task<T> coroutines) on the calling thread.
//
//   auto rt = evq::rt::Runtime::create().value();
//   int v = rt.block_on(main_task());
//
// block_on runs the event loop until the given task finishes and returns its value (or
// rethrows its exception); spawned tasks run alongside it, and those still alive when the
// Runtime is destroyed are cancelled and freed (their pending waits cancelled first).
// Thread-safety: a Runtime is used by the thread that calls block_on; it is not Send.
// Backends: the readiness event queue evq::poll (epoll, poll); RuntimeOptions::backend or
// EVQ_BACKEND picks one.
#pragma once

#include <memory>
#include <stdexcept>

#include "evq/rt/join_handle.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/rt/task.hpp"

namespace evq::rt {

struct RuntimeOptions {
  std::string_view backend;  // see evq::poll::PollOptions
};

class Runtime {
 public:
  [[nodiscard]] static Result<Runtime> create(RuntimeOptions options = {}) {
    auto s = detail::Scheduler::create({.backend = options.backend});
    if (!s) return fail(s.error());
    return Runtime(std::move(*s));
  }

  // A runtime on a driver of the caller's choosing: another OS backend, or a test's fake that
  // completes operations late and out of order. `driver` must not be null.
  [[nodiscard]] static Runtime with_driver(std::unique_ptr<detail::Driver> driver) {
    return Runtime(detail::Scheduler::create(std::move(driver)));
  }

  // Runs until `task` finishes; returns its value or rethrows its exception. Throws
  // std::logic_error if the task can never finish (it waits for something nothing will do).
  template <class T>
  T block_on(Task<T> task) {
    if (detail::current_task) throw std::logic_error("evq::rt: block_on called inside a task");
    JoinHandle<T> handle = spawn(std::move(task));
    auto& state = *handle.state_;
    scheduler_->run_until(state.done);
    if (state.exception) std::rethrow_exception(state.exception);
    if constexpr (!std::is_void_v<T>) return std::move(*state.value);
  }

  // Starts `task` concurrently; it first runs when the loop next runs (block_on).
  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    return spawn_on(*scheduler_, std::move(task));
  }

  // Tasks alive (spawned, not yet finished or freed).
  [[nodiscard]] std::size_t live_tasks() const noexcept { return scheduler_->live_tasks(); }

 private:
  explicit Runtime(std::unique_ptr<detail::Scheduler> s) noexcept : scheduler_(std::move(s)) {}
  std::unique_ptr<detail::Scheduler> scheduler_;
};

}  // namespace evq::rt
