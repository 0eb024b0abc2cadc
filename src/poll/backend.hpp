// The contract between evq::poll and one OS event-queue backend. A backend is one file
// (epoll.cpp, poll.cpp, later kqueue.cpp) implementing this interface and nothing else; the
// generic logic (timeouts, the wake-up channel, the Waker, Source's re-arm hook) lives in
// core.cpp. backends.cpp lists the compiled backends in preference order.
//
//   add(fd, token, interest)     start reporting `interest` on fd, edge-triggered, with `token`.
//                                 Errors: EEXIST if fd is registered, the OS's errors otherwise.
//   modify(fd, token, interest)  replace token and interest (re-arming every direction).
//                                 Errors: ENOENT if fd is not registered.
//   remove(fd)                   stop reporting fd. Once remove returns, no later wait() reports
//                                 fd. Errors: ENOENT if not registered.
//   rearm(fd, direction)         an operation in `direction` hit would_block: report the next
//                                 readiness in that direction. No-op where edges are native.
//   needs_rearm()                whether rearm does anything (lets Source skip the call).
//   wait(out, cap, timeout_ms)   block up to timeout_ms (-1 forever, 0 not at all) and write at
//                                 most cap events. Every source with pending readiness that does
//                                 not fit stays pending for the next wait. Returns EINTR as an
//                                 error. Reports error and hang-up whatever the interest.
//
// add, modify, remove and rearm may be called from any thread, also while wait() blocks; a
// backend that must refresh its set to see such a change raises the Signal it was built with,
// which Core has registered under Token::reserved(). wait() is called by one thread at a time.
// Errors are os_error(errno, Op::register_/reregister/deregister/poll_wait).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "evq/poll/event.hpp"
#include "evq/poll/interest.hpp"
#include "evq/poll/token.hpp"
#include "evq/result.hpp"

namespace evq::poll::detail {

class Signal;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<void> add(int fd, Token token, Interest interest) = 0;
  virtual Result<void> modify(int fd, Token token, Interest interest) = 0;
  virtual Result<void> remove(int fd) = 0;
  virtual void rearm(int fd, Interest direction) noexcept = 0;
  [[nodiscard]] virtual bool needs_rearm() const noexcept = 0;
  virtual Result<std::size_t> wait(Event* out, std::size_t cap, int timeout_ms) = 0;
};

struct BackendEntry {
  std::string_view name;
  Result<std::unique_ptr<Backend>> (*create)(Signal& signal);
};

// Compiled backends, best first (backends.cpp).
std::span<const BackendEntry> backend_entries() noexcept;

// One factory per backend file.
Result<std::unique_ptr<Backend>> make_epoll_backend(Signal& signal);
Result<std::unique_ptr<Backend>> make_poll_backend(Signal& signal);

}  // namespace evq::poll::detail
