// The wake-up channel on an eventfd (Linux): one descriptor, an 8-byte counter.
#include <sys/eventfd.h>

#include "evq/sys/error.hpp"
#include "poll/signal.hpp"

namespace evq::poll::detail {

Result<std::unique_ptr<Signal>> make_eventfd_signal() {
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return fail(sys::last_error(sys::Op::eventfd));
  return std::make_unique<Signal>(sys::Fd(fd), sys::Fd());
}

Result<std::unique_ptr<Signal>> make_signal() {
  return make_eventfd_signal();
}

}  // namespace evq::poll::detail
