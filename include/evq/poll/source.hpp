// evq::poll::Source: a file descriptor together with its registration (mio's IoSource).
//
// It owns the fd; while registered it also holds the registration, and it deregisters before
// it closes (the destructor and close() do both, in that order), so a dup'ed or inherited copy of
// the descriptor can never keep firing into the queue.
// All I/O on a registered source goes through do_io(), which tells the backend when an operation
// hit would_block: that is how backends without native edge triggering re-arm interest.
// Thread-safety: none of its own; do_io on distinct directions from two threads is safe if the
// operation is. Lifetime: the Source keeps its Poll's queue alive while registered.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "evq/poll/interest.hpp"
#include "evq/poll/token.hpp"
#include "evq/result.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/fd.hpp"

namespace evq::poll {

namespace detail {
struct Core;
}

class Source {
 public:
  Source() noexcept = default;
  explicit Source(sys::Fd fd) noexcept : fd_(std::move(fd)) {}
  Source(Source&& other) noexcept = default;
  Source& operator=(Source&& other) noexcept;
  ~Source();

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] bool registered() const noexcept { return core_ != nullptr; }

  // Runs `op(fd)`, which returns a Result; if it failed with would_block, re-arms `direction`.
  // Use it for every read, write, accept, send or recv on a registered source.
  template <class F>
  auto do_io(Interest direction, F&& op) -> std::invoke_result_t<F, int> {
    auto r = std::forward<F>(op)(fd_.get());
    if (!r && rearm_ && sys::is_would_block(r.error())) rearm(direction);
    return r;
  }

  // What do_io does after would_block, for an operation made outside do_io (through a copy of
  // the fd, say): report the next readiness in `direction`. Does nothing on backends with native
  // edge triggering (an edge already delivered is not repeated), nor when not registered.
  void rearm(Interest direction) noexcept;

  // Deregisters (if registered), then closes; reports the first error, releases the fd anyway.
  [[nodiscard]] Result<void> close() noexcept;
  // Deregisters (if registered) and hands the descriptor back.
  [[nodiscard]] Result<sys::Fd> into_fd() noexcept;

 private:
  friend class Registry;
  Result<void> deregister() noexcept;

  sys::Fd fd_;
  std::shared_ptr<detail::Core> core_;  // set while registered
  bool rearm_ = false;                  // the backend needs do_io's would_block hook
};

}  // namespace evq::poll
