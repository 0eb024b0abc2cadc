// evq::sys::Fd: the one owner of a file descriptor.
//
// Lifetime: move-only; the destructor closes the descriptor (an error from close is ignored
// there, since Linux releases the descriptor even when close fails; call close() to see it).
// Every function in evq::sys that creates a descriptor creates it close-on-exec and non-blocking
// atomically (SOCK_CLOEXEC|SOCK_NONBLOCK, accept4, pipe2, F_DUPFD_CLOEXEC, ...), so no fork+exec in
// another thread can leak it and no call on it blocks the thread.
// Thread-safety: like an int; a const Fd may be read from any thread.
//
// A descriptor registered with an evq::poll::Registry must be deregistered before it is closed:
// use evq::poll::Source, which owns both and does it in that order.
#pragma once

#include <utility>

#include "evq/result.hpp"

namespace evq::sys {

class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the held descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;
  // Closes and reports the error close(2) returned; the descriptor is released either way.
  [[nodiscard]] Result<void> close() noexcept;

 private:
  int fd_ = -1;
};

// A new descriptor for the same open file description, close-on-exec.
[[nodiscard]] Result<Fd> dup(int fd) noexcept;

// Pipe ends, both close-on-exec and non-blocking: {read end, write end}.
[[nodiscard]] Result<std::pair<Fd, Fd>> pipe() noexcept;

// Reads and writes on any descriptor. A would-block outcome is an error that
// sys::is_would_block() recognises. write() on a pipe whose reader is gone raises SIGPIPE unless
// the process ignores it; sockets should use sys::send, which never does.
[[nodiscard]] Result<std::size_t> read(int fd, void* buf, std::size_t len) noexcept;
[[nodiscard]] Result<std::size_t> write(int fd, const void* buf, std::size_t len) noexcept;

}  // namespace evq::sys
