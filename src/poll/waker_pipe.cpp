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
  // One read empties it: an eventfd read takes the whole counter, and a pipe holds at most one
  // 8-byte write per raise-drain cycle.
  std::uint64_t buf[8];
  (void)sys::read(read_.get(), buf, sizeof(buf));
  // Last: clearing first would let a raise write between the clear and the read, the read
  // swallow it, and the flag stay set with the fd empty: every later raise skipped, the poller
  // never woken again. A raise that lands before this store made no write, but the caller looks
  // at what it signalled (Core::woken, the registered set) after drain().
  raised_.store(false);
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
