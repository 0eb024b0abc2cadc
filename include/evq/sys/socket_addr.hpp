// evq::sys::SocketAddr: an IPv4, IPv6 or Unix-domain socket address, by value.
//
// Text forms (parse and to_string round-trip):
//   IPv4  "127.0.0.1:8080"
//   IPv6  "[::1]:8080", "[fe80::1%2]:80" (numeric scope id)
//   Unix  "unix:/path/to/socket", "unix:@name" (Linux abstract namespace), "unix:" (unnamed)
// Thread-safety: a value type; const access from any thread.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "evq/result.hpp"

namespace evq::sys {

class SocketAddr {
 public:
  // An unspecified address (family AF_UNSPEC), for filling in by the OS.
  SocketAddr() noexcept;

  // Errors: Errc::invalid_address.
  [[nodiscard]] static Result<SocketAddr> parse(std::string_view text);
  [[nodiscard]] static SocketAddr ipv4(std::array<std::uint8_t, 4> ip, std::uint16_t port) noexcept;
  [[nodiscard]] static SocketAddr ipv6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port,
                                       std::uint32_t scope_id = 0) noexcept;
  // Unix path; a leading '@' names the Linux abstract namespace. Errors: invalid_address when too
  // long for sockaddr_un.
  [[nodiscard]] static Result<SocketAddr> unix_path(std::string_view path);
  // Copies an address the OS produced. `len` larger than sockaddr_storage is truncated.
  [[nodiscard]] static SocketAddr from_native(const sockaddr* sa, socklen_t len) noexcept;

  [[nodiscard]] int family() const noexcept { return storage_.ss_family; }
  [[nodiscard]] bool is_ip() const noexcept { return family() == AF_INET || family() == AF_INET6; }
  // Port in host order; 0 for non-IP addresses.
  [[nodiscard]] std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] const sockaddr* native() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  [[nodiscard]] sockaddr* native_mut() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  [[nodiscard]] socklen_t native_len() const noexcept { return len_; }
  // For calls that fill the address in: capacity before, actual length after.
  [[nodiscard]] socklen_t* native_len_mut() noexcept { return &len_; }
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

  friend bool operator==(const SocketAddr& a, const SocketAddr& b);

 private:
  sockaddr_storage storage_;
  socklen_t len_;
};

}  // namespace evq::sys
