// evq::fiber::Fiber: a function running on its own stack (a stackful coroutine), the building
// block of evq's green threads. resume() runs it until it calls Fiber::suspend() or returns;
// the next resume() continues right after that suspend(). Code inside looks like ordinary
// blocking code: the whole call stack is kept while it is suspended.
//
// Switching: Boost.Context's fcontext (libboost-context-dev), no hand-written assembly. Under
// ASan and TSan every switch is announced to the sanitizer (__sanitizer_start_switch_fiber /
// __tsan_switch_to_fiber), so their reports stay meaningful.
//
// Exceptions: one that escapes the body is rethrown by the resume() that ran it; the fiber is
// then done.
//
// Destruction: destroying a fiber that started and has not finished unwinds its stack first (its
// suspend() throws ForcedUnwind, so every destructor on that stack runs). The body must let
// ForcedUnwind pass: a catch (...) that swallows it makes the unwinding stop early (the fiber is
// resumed again at its next suspend(), which throws again).
//
// Stack overflow: running into the guard below the stack (stack.hpp) faults; a SIGSEGV handler
// on an alternate signal stack sees that the fault is in the current fiber's guard and prints
// `evq: fiber "NAME" overflowed its N-byte stack (give it a larger stack size)` before the
// process dies of the SIGSEGV. Other faults go to the handler that was there before.
//
// Thread-safety: a fiber runs on the thread that resumes it; resume it from one thread at a time
// (it may move between threads while suspended). Not copyable; movable while not running.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "evq/fiber/stack.hpp"
#include "evq/result.hpp"

namespace evq::fiber {

// Thrown by suspend() in a fiber being destroyed before it finished: let it pass.
struct ForcedUnwind {};

class Fiber {
 public:
  struct Options {
    std::size_t stack_size = Stack::kDefaultSize;
    std::string name = "fiber";  // in the overflow message
  };

  // A fiber that will run `body` when first resumed. Fails if its stack cannot be mapped.
  [[nodiscard]] static Result<Fiber> create(std::function<void()> body, Options options);
  [[nodiscard]] static Result<Fiber> create(std::function<void()> body);  // default Options

  Fiber(Fiber&&) noexcept;
  Fiber& operator=(Fiber&&) noexcept;
  ~Fiber();

  // Runs the fiber until it suspends or returns; rethrows what its body threw. Preconditions:
  // !done(), and not called from inside this fiber.
  void resume();
  [[nodiscard]] bool done() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;

  // Inside a fiber: back to whoever resumed it. Precondition: running_inside().
  static void suspend();
  [[nodiscard]] static bool running_inside() noexcept;

  struct State;  // (the switching details, in fiber.cpp)

 private:
  explicit Fiber(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;  // on the heap: the fiber's stack points at it while suspended
};

}  // namespace evq::fiber
