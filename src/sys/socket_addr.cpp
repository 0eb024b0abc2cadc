#include "evq/sys/socket_addr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>

#include "evq/error.hpp"

namespace evq::sys {
namespace {

constexpr std::size_t kPathOffset = offsetof(sockaddr_un, sun_path);
constexpr std::size_t kPathMax = sizeof(sockaddr_un::sun_path) - 1;  // room for the NUL

template <class Int>
bool parse_number(std::string_view s, Int& out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

Result<SocketAddr> parse_ipv6(std::string_view text) {
  // "[addr%scope]:port"
  const auto close = text.find(']');
  if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") {
    return fail(Errc::invalid_address);
  }
  std::string_view host = text.substr(1, close - 1);
  std::uint32_t scope = 0;
  if (const auto pct = host.find('%'); pct != std::string_view::npos) {
    if (!parse_number(host.substr(pct + 1), scope)) return fail(Errc::invalid_address);
    host = host.substr(0, pct);
  }
  std::uint16_t port;
  if (!parse_number(text.substr(close + 2), port)) return fail(Errc::invalid_address);
  if (host.size() >= INET6_ADDRSTRLEN) return fail(Errc::invalid_address);
  char buf[INET6_ADDRSTRLEN] = {};
  host.copy(buf, host.size());
  std::array<std::uint8_t, 16> ip;
  if (::inet_pton(AF_INET6, buf, ip.data()) != 1) return fail(Errc::invalid_address);
  return SocketAddr::ipv6(ip, port, scope);
}

Result<SocketAddr> parse_ipv4(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail(Errc::invalid_address);
  const std::string_view host = text.substr(0, colon);
  std::uint16_t port;
  if (!parse_number(text.substr(colon + 1), port)) return fail(Errc::invalid_address);
  if (host.size() >= INET_ADDRSTRLEN) return fail(Errc::invalid_address);
  char buf[INET_ADDRSTRLEN] = {};
  host.copy(buf, host.size());
  std::array<std::uint8_t, 4> ip;
  if (::inet_pton(AF_INET, buf, ip.data()) != 1) return fail(Errc::invalid_address);
  return SocketAddr::ipv4(ip, port);
}

}  // namespace

SocketAddr::SocketAddr() noexcept : storage_{}, len_(sizeof(storage_)) {
  storage_.ss_family = AF_UNSPEC;
}

Result<SocketAddr> SocketAddr::parse(std::string_view text) {
  if (text.starts_with("unix:")) return unix_path(text.substr(5));
  if (text.starts_with("[")) return parse_ipv6(text);
  return parse_ipv4(text);
}

SocketAddr SocketAddr::ipv4(std::array<std::uint8_t, 4> ip, std::uint16_t port) noexcept {
  SocketAddr a;
  auto* sin = reinterpret_cast<sockaddr_in*>(&a.storage_);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  std::memcpy(&sin->sin_addr, ip.data(), ip.size());
  a.len_ = sizeof(sockaddr_in);
  return a;
}

SocketAddr SocketAddr::ipv6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port,
                            std::uint32_t scope_id) noexcept {
  SocketAddr a;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  sin6->sin6_scope_id = scope_id;
  std::memcpy(&sin6->sin6_addr, ip.data(), ip.size());
  a.len_ = sizeof(sockaddr_in6);
  return a;
}

Result<SocketAddr> SocketAddr::unix_path(std::string_view path) {
  SocketAddr a;
  auto* sun = reinterpret_cast<sockaddr_un*>(&a.storage_);
  sun->sun_family = AF_UNIX;
  if (path.empty()) {  // unnamed
    a.len_ = sizeof(sa_family_t);
    return a;
  }
  if (path.front() == '@') {  // abstract: sun_path[0] == '\0', the name is the rest, NULs allowed
    const std::string_view name = path.substr(1);
    if (name.size() > kPathMax) return fail(Errc::invalid_address);
    name.copy(sun->sun_path + 1, name.size());
    a.len_ = static_cast<socklen_t>(kPathOffset + 1 + name.size());
    return a;
  }
  if (path.size() > kPathMax || path.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid_address);
  }
  path.copy(sun->sun_path, path.size());
  a.len_ = static_cast<socklen_t>(kPathOffset + path.size() + 1);
  return a;
}

SocketAddr SocketAddr::from_native(const sockaddr* sa, socklen_t len) noexcept {
  SocketAddr a;
  a.len_ = len < capacity() ? len : capacity();
  std::memcpy(&a.storage_, sa, a.len_);
  return a;
}

std::uint16_t SocketAddr::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

void SocketAddr::set_port(std::uint16_t port) noexcept {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string SocketAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  switch (family()) {
    case AF_INET: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
      ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
      return std::string(buf) + ":" + std::to_string(port());
    }
    case AF_INET6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
      std::string s = "[" + std::string(buf);
      if (sin6->sin6_scope_id != 0) s += "%" + std::to_string(sin6->sin6_scope_id);
      return s + "]:" + std::to_string(port());
    }
    case AF_UNIX: {
      const auto* sun = reinterpret_cast<const sockaddr_un*>(&storage_);
      if (len_ <= kPathOffset) return "unix:";
      const std::size_t n = len_ - kPathOffset;
      if (sun->sun_path[0] == '\0') return "unix:@" + std::string(sun->sun_path + 1, n - 1);
      return "unix:" + std::string(sun->sun_path, ::strnlen(sun->sun_path, n));
    }
    default:
      return "(unspecified)";
  }
}

// By meaning, not bytes: the kernel may or may not count a Unix path's NUL in the length.
bool operator==(const SocketAddr& a, const SocketAddr& b) {
  return a.family() == b.family() && a.to_string() == b.to_string();
}

}  // namespace evq::sys
