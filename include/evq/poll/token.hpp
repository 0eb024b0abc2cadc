// evq::poll::Token: the user's name for a registered source, returned in its events.
//
// A strong type over uintptr_t: it converts to and from integers only explicitly. evq never
// interprets it; the runtime packs a slot and a generation into it. Token::reserved() (all bits
// set) is evq's own and cannot be registered.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace evq::poll {

class Token {
 public:
  constexpr Token() noexcept = default;
  constexpr explicit Token(std::uintptr_t value) noexcept : value_(value) {}
  [[nodiscard]] constexpr std::uintptr_t value() const noexcept { return value_; }
  [[nodiscard]] static constexpr Token reserved() noexcept { return Token(UINTPTR_MAX); }
  friend constexpr auto operator<=>(Token, Token) noexcept = default;

 private:
  std::uintptr_t value_ = 0;
};

}  // namespace evq::poll

template <>
struct std::hash<evq::poll::Token> {
  std::size_t operator()(evq::poll::Token t) const noexcept {
    return std::hash<std::uintptr_t>{}(t.value());
  }
};
