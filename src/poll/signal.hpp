// The wake-up channel of one Poll: a descriptor that becomes readable when raised.
//
// raise() coalesces: one atomic exchange, and a write(2) only if the channel was not already
// raised (Go's netpollBreak), so any number of raises cost one event and one syscall and the
// counter can never overflow. The poller calls drain() after seeing the event: it empties the
// descriptor, then clears the flag. A raise that lands in between writes nothing; the poller
// sees its effect because it reads the state the raise published only after drain() returns.
// Thread-safety: raise() from any thread and from signal handlers; drain() from the poller.
// Implementations: eventfd (waker_eventfd.cpp, Linux), pipe (waker_pipe.cpp, anywhere).
#pragma once

#include <atomic>
#include <memory>

#include "evq/result.hpp"
#include "evq/sys/fd.hpp"

namespace evq::poll::detail {

class Signal {
 public:
  // `read_end` becomes readable when raised; `write_end` is written to raise. An eventfd passes
  // the same descriptor as both (and an empty write_end).
  Signal(sys::Fd read_end, sys::Fd write_end) noexcept
      : read_(std::move(read_end)), write_(std::move(write_end)) {}

  [[nodiscard]] int fd() const noexcept { return read_.get(); }
  void raise() noexcept;
  void drain() noexcept;

 private:
  sys::Fd read_;
  sys::Fd write_;  // invalid for eventfd: write to read_
  std::atomic<bool> raised_{false};
};

// eventfd on Linux, else a pipe.
Result<std::unique_ptr<Signal>> make_signal();
Result<std::unique_ptr<Signal>> make_eventfd_signal();
Result<std::unique_ptr<Signal>> make_pipe_signal();

}  // namespace evq::poll::detail
