#include "evq/sys/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "evq/sys/error.hpp"

namespace evq::sys {

void Fd::reset(int fd) noexcept {
  // Linux releases the descriptor even when close fails (EINTR included), so never retry:
  // a retry could close a descriptor another thread just received.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<void> Fd::close() noexcept {
  const int fd = release();
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) return fail(last_error(Op::close));
  return {};
}

Result<Fd> dup(int fd) noexcept {
  const int r = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r < 0) return fail(last_error(Op::dup));
  return Fd(r);
}

Result<std::pair<Fd, Fd>> pipe() noexcept {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return fail(last_error(Op::pipe));
  return std::pair{Fd(fds[0]), Fd(fds[1])};
}

Result<std::size_t> read(int fd, void* buf, std::size_t len) noexcept {
  ssize_t n;
  do
    n = ::read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(last_error(Op::read));
  return static_cast<std::size_t>(n);
}

Result<std::size_t> write(int fd, const void* buf, std::size_t len) noexcept {
  ssize_t n;
  do
    n = ::write(fd, buf, len);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(last_error(Op::write));
  return static_cast<std::size_t>(n);
}

}  // namespace evq::sys
