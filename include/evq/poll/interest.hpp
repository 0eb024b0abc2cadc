// evq::poll::Interest: which readiness a registration asks for. Never empty.
//
// Combine with |: `Interest::READABLE | Interest::WRITABLE`. Error and hang-up are reported
// whatever the interest; they need not (and cannot) be asked for.
#pragma once

#include <cstdint>
#include <optional>

namespace evq::poll {

class Interest {
 public:
  static const Interest READABLE;
  static const Interest WRITABLE;
  // Out-of-band / priority data (TCP urgent data, EPOLLPRI, POLLPRI).
  static const Interest PRIORITY;

  [[nodiscard]] constexpr bool is_readable() const noexcept { return bits_ & kRead; }
  [[nodiscard]] constexpr bool is_writable() const noexcept { return bits_ & kWrite; }
  [[nodiscard]] constexpr bool is_priority() const noexcept { return bits_ & kPri; }
  // True if every kind in `other` is in this.
  [[nodiscard]] constexpr bool contains(Interest other) const noexcept {
    return (bits_ & other.bits_) == other.bits_;
  }
  // This without `other`, or nothing if that would leave it empty.
  [[nodiscard]] constexpr std::optional<Interest> remove(Interest other) const noexcept {
    const std::uint8_t rest = bits_ & ~other.bits_;
    if (rest == 0) return std::nullopt;
    return Interest(rest);
  }
  [[nodiscard]] constexpr std::uint8_t bits() const noexcept { return bits_; }

  friend constexpr Interest operator|(Interest a, Interest b) noexcept {
    return Interest(a.bits_ | b.bits_);
  }
  constexpr Interest& operator|=(Interest o) noexcept { return *this = *this | o; }
  friend constexpr bool operator==(Interest, Interest) noexcept = default;

 private:
  static constexpr std::uint8_t kRead = 1, kWrite = 2, kPri = 4;
  constexpr explicit Interest(std::uint8_t bits) noexcept : bits_(bits) {}
  std::uint8_t bits_;
};

inline constexpr Interest Interest::READABLE{Interest::kRead};
inline constexpr Interest Interest::WRITABLE{Interest::kWrite};
inline constexpr Interest Interest::PRIORITY{Interest::kPri};

}  // namespace evq::poll
