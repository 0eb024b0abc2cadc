// The wake-up channel on a pipe (any POSIX), and the parts common to every channel.
#include <unistd.h>

#include <cstdint>

#include "evq/sys/fd.hpp"
#include "poll/signal.hpp"

namespace evq::poll::detail {

void Signal::raise() noexcept {
  if (raised_.exchange(true)) return;  // already raised: the pending event covers this one
  const std::uint64_t one = 1;         // eventfd needs 8 bytes; a pipe takes them as well
  const int fd = write_ ? write_.get() : read_.get();
  // Cannot fail with EAGAIN: at most one write is pending per drain (pipe and eventfd have room).
  // write(2) is async-signal-safe; sys::write retries EINTR.
  (void)sys::write(fd, &one, sizeof(one));
}

void Signal::drain() noexcept {
  raised_.store(false);  // first: a raise after this point writes again, so it is not lost
  std::uint64_t buf[8];
  while (sys::read(read_.get(), buf, sizeof(buf))) {
  }
}

Result<std::unique_ptr<Signal>> make_pipe_signal() {
  auto ends = sys::pipe();
  if (!ends) return fail(ends.error());
  return std::make_unique<Signal>(std::move(ends->first), std::move(ends->second));
}

#ifndef __linux__
Result<std::unique_ptr<Signal>> make_signal() {
  return make_pipe_signal();
}
#endif

}  // namespace evq::poll::detail
