// detail::Core: the state one Poll shares with its Registry copies, Sources and Waker.
//
// Members are declared in destruction-safe order: the backend refers to the signal, so the
// signal is declared first (destroyed last).
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "poll/backend.hpp"
#include "poll/signal.hpp"

namespace evq::poll::detail {

struct Core {
  std::string_view name;  // the backend's name
  std::unique_ptr<Signal> signal;
  std::unique_ptr<Backend> backend;
  bool needs_rearm = false;

  // The user's Waker: `has_waker` claims the slot, `waker_token` is set before any wake, and
  // `woken` says a user wake (not just an internal refresh) is pending.
  std::atomic<bool> has_waker{false};
  std::atomic<std::uintptr_t> waker_token{0};
  std::atomic<bool> woken{false};
};

}  // namespace evq::poll::detail
