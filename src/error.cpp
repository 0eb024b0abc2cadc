#include "evq/error.hpp"

#include <string>

namespace evq {
namespace {

class EvqCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "evq"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::unknown_backend:
        return "unknown or unavailable event queue backend (EVQ_BACKEND or the backend option): "
               "use auto, or one of the names evq::poll::backend_names() lists";
      case Errc::reserved_token:
        return "Token::reserved() is used by evq itself: register the source with another token";
      case Errc::waker_exists:
        return "this Poll already has a Waker: share the one you have";
      case Errc::invalid_address:
        return "invalid socket address: expected IPv4:PORT, [IPv6]:PORT or unix:PATH";
      case Errc::not_registered:
        return "the source is not registered: call Registry::register_ first";
      case Errc::cancelled:
        return "the task was cancelled";
      case Errc::timed_out:
        return "the operation timed out";
      case Errc::outside_runtime:
        return "evq::net needs a running evq::rt::Runtime: call it from inside a task";
      case Errc::closed:
        return "the channel is closed";
    }
    return "unknown evq error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const EvqCategory category;
  return category;
}

}  // namespace evq
