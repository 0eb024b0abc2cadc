// evq's own error codes: failures that do not come from the OS.
//
// OS failures use the per-operation categories of evq/sys/error.hpp; these cover misuse of evq's
// API and bad input. Each code's message says what went wrong and what to do.
#pragma once

#include <system_error>

namespace evq {

enum class Errc {
  unknown_backend = 1,  // EVQ_BACKEND or the option names no backend compiled into this build
  reserved_token,       // Token::reserved() is evq's own; pick another token
  waker_exists,         // a Poll has at most one Waker alive at a time
  invalid_address,      // a socket address string did not parse
  not_registered,       // the Source is not registered with a Registry
  cancelled,            // the task was aborted (JoinHandle::abort, or a losing branch)
  timed_out,            // rt::timeout: the deadline passed first
  outside_runtime,      // an evq::net call made outside a task of an evq::rt::Runtime
  closed,               // a channel was closed (nothing more can be sent)
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace evq

template <>
struct std::is_error_code_enum<evq::Errc> : std::true_type {};
