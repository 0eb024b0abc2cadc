// OS errors as std::error_code values that name the failed operation.
//
// Every OS-touching call in evq turns errno into `os_error(errno, Op::x)`. The code's value is the
// errno, its category is one per operation, so message() reads "connect: Connection refused" and
// comparisons with portable conditions still work (`ec == std::errc::connection_refused`).
// `would_block` is an ordinary outcome: test it with is_would_block(), which costs no virtual call.
#pragma once

#include <cerrno>
#include <string_view>
#include <system_error>

namespace evq::sys {

// The operations evq performs on the OS. The name is what message() prints before the reason.
enum class Op {
  socket,
  bind,
  listen,
  accept,
  connect,
  read,
  write,
  send,
  recv,
  sendto,
  recvfrom,
  shutdown,
  setsockopt,
  getsockopt,
  getsockname,
  getpeername,
  pipe,
  socketpair,
  dup,
  close,
  fcntl,
  eventfd,
  poll_create,  // creating the OS queue (epoll_create1, ...)
  register_,    // Registry::register_
  reregister,   // Registry::reregister
  deregister,   // Registry::deregister
  poll_wait,    // Poll::poll waiting for events (epoll_wait, poll, ...)
  wake,         // Waker::wake
  pending,      // a socket's pending error (SO_ERROR): a background connect's outcome, a reset
  mmap,         // mapping memory (a fiber's stack)
  count_        // not an operation: the number of them
};

std::string_view op_name(Op op) noexcept;

// The category of errors raised by `op`. Its message() adds a hint for the errors a user causes
// (registering an fd twice, polling a regular file, ...).
const std::error_category& os_category(Op op) noexcept;

inline std::error_code os_error(int err, Op op) noexcept {
  return {err, os_category(op)};
}
inline std::error_code last_error(Op op) noexcept {
  return os_error(errno, op);
}

// True for EAGAIN/EWOULDBLOCK raised by any evq OS operation.
bool is_would_block(const std::error_code& ec) noexcept;

}  // namespace evq::sys
