// evq::poll::Event and Events: what one call to Poll::poll reports.
//
// An Event says that a registered source may be ready: "try now" (see the readiness contract in
// evq/poll/poll.hpp). The closed and error flags are hints: best effort, may be missed, never
// wrong. Several events for one source may arrive in one batch.
//
// Events is a fixed-capacity buffer chosen by the user. Poll::poll overwrites it on every call,
// never allocates, and never reports more than capacity() events: the rest stay pending in the
// OS queue and come on the next poll. Thread-safety: none; it belongs to the polling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "evq/poll/token.hpp"

namespace evq::poll {

class Event {
 public:
  enum Flag : std::uint32_t {
    kReadable = 1u << 0,
    kWritable = 1u << 1,
    kError = 1u << 2,
    kReadClosed = 1u << 3,
    kWriteClosed = 1u << 4,
    kPriority = 1u << 5,
  };

  constexpr Event() noexcept = default;
  constexpr Event(Token token, std::uint32_t flags) noexcept : token_(token), flags_(flags) {}

  [[nodiscard]] constexpr Token token() const noexcept { return token_; }
  [[nodiscard]] constexpr bool readable() const noexcept { return flags_ & kReadable; }
  [[nodiscard]] constexpr bool writable() const noexcept { return flags_ & kWritable; }
  // The source has a pending error (read it with sys::socket_error, or by doing I/O).
  [[nodiscard]] constexpr bool error() const noexcept { return flags_ & kError; }
  // The peer will send no more: reads drain what is buffered, then return 0.
  [[nodiscard]] constexpr bool read_closed() const noexcept { return flags_ & kReadClosed; }
  // Writes will fail: the peer is gone or the write side is shut down.
  [[nodiscard]] constexpr bool write_closed() const noexcept { return flags_ & kWriteClosed; }
  [[nodiscard]] constexpr bool priority() const noexcept { return flags_ & kPriority; }
  [[nodiscard]] constexpr std::uint32_t flags() const noexcept { return flags_; }

 private:
  Token token_;
  std::uint32_t flags_ = 0;
};

class Events {
 public:
  // capacity >= 1 (0 is treated as 1).
  explicit Events(std::size_t capacity)
      : cap_(capacity ? capacity : 1), buf_(std::make_unique<Event[]>(cap_)) {}

  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
  [[nodiscard]] std::size_t size() const noexcept { return len_; }
  [[nodiscard]] bool empty() const noexcept { return len_ == 0; }
  void clear() noexcept { len_ = 0; }

  [[nodiscard]] const Event* begin() const noexcept { return buf_.get(); }
  [[nodiscard]] const Event* end() const noexcept { return buf_.get() + len_; }
  [[nodiscard]] const Event& operator[](std::size_t i) const noexcept { return buf_[i]; }

  // For Poll: the whole buffer to fill, and how much of it was filled.
  [[nodiscard]] Event* storage() noexcept { return buf_.get(); }
  void set_size(std::size_t n) noexcept { len_ = n < cap_ ? n : cap_; }

 private:
  std::size_t cap_;
  std::unique_ptr<Event[]> buf_;
  std::size_t len_ = 0;
};

}  // namespace evq::poll
