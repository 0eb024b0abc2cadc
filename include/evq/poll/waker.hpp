// evq::poll::Waker: makes a blocked Poll::poll return, from any thread.
//
// wake() delivers a readable event carrying the Waker's token. Wakes coalesce: any number of
// wake() calls before the poller sees them produce one event; never count wakes. A wake() made
// while nobody polls is delivered by the next poll.
// Thread-safety: wake() from any thread, and from a signal handler (it is one atomic exchange
// and at most one write(2)). Lifetime: a Poll has at most one Waker at a time; destroying it frees
// the slot. The Waker keeps the queue alive, so waking after the Poll is gone is harmless.
// Backends: an eventfd on Linux, a pipe elsewhere; the same behaviour on every backend.
#pragma once

#include <memory>

#include "evq/poll/poll.hpp"

namespace evq::poll {

class Waker {
 public:
  // Errors: Errc::waker_exists, Errc::reserved_token.
  [[nodiscard]] static Result<Waker> create(const Registry& registry, Token token);

  Waker(Waker&&) noexcept = default;
  Waker& operator=(Waker&&) noexcept;
  ~Waker();

  void wake() const noexcept;

 private:
  explicit Waker(std::shared_ptr<detail::Core> core) noexcept : core_(std::move(core)) {}
  void release() noexcept;
  std::shared_ptr<detail::Core> core_;
};

}  // namespace evq::poll
