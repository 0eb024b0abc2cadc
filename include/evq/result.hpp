// evq::Result<T>: the value of every fallible evq call.
//
// I/O errors are values, not exceptions: a call that touches the OS returns Result<T>, which holds
// either a T or a std::error_code. Error codes produced by evq name the operation that failed in
// their message() ("connect: Connection refused") and still compare equal to the portable
// std::errc conditions (`r.error() == std::errc::connection_refused`).
#pragma once

#include <system_error>

#include <tl/expected.hpp>

namespace evq {

template <class T>
using Result = tl::expected<T, std::error_code>;

// Shorthand for the error side of a Result: `return evq::fail(ec);`.
inline tl::unexpected<std::error_code> fail(std::error_code ec) noexcept {
  return tl::unexpected<std::error_code>(ec);
}

}  // namespace evq
