// Non-blocking socket helpers: thin wrappers over the BSD socket calls.
//
// Every socket they create is close-on-exec and non-blocking from birth. Every failure is an
// os_error naming the call (evq/sys/error.hpp); EINTR is retried inside, except in connect, where
// the connection then proceeds in the background exactly as for EINPROGRESS.
// These are building blocks for evq::poll users and for evq::net; they keep no state.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <span>
#include <utility>

#include "evq/result.hpp"
#include "evq/sys/fd.hpp"
#include "evq/sys/socket_addr.hpp"

namespace evq::sys {

// socket(2) with SOCK_NONBLOCK|SOCK_CLOEXEC. `type` is SOCK_STREAM, SOCK_DGRAM, ...
[[nodiscard]] Result<Fd> socket(int family, int type, int protocol = 0) noexcept;
// A connected pair of Unix sockets, both non-blocking and close-on-exec.
[[nodiscard]] Result<std::pair<Fd, Fd>> socketpair(int type) noexcept;

[[nodiscard]] Result<void> bind(int fd, const SocketAddr& addr) noexcept;
[[nodiscard]] Result<void> listen(int fd, int backlog) noexcept;
// A TCP or Unix stream listener bound to `addr` with SO_REUSEADDR (IP only) and the given backlog.
// SO_REUSEADDR on IP sockets; with reuse_port also SO_REUSEPORT, so several listeners (one per
// event loop) can share the address and the kernel spreads connections among them.
[[nodiscard]] Result<Fd> listen_on(const SocketAddr& addr, int backlog = 1024,
                                   bool reuse_port = false) noexcept;

// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; the peer's address alongside.
[[nodiscard]] Result<std::pair<Fd, SocketAddr>> accept(int fd) noexcept;

// Starts a connection. Success means connected or in progress: wait for writable, then read
// socket_error() to learn the outcome (the readiness contract of evq::poll, as in mio).
[[nodiscard]] Result<void> connect(int fd, const SocketAddr& addr) noexcept;
// A new non-blocking socket of addr's family with connect() started on it.
[[nodiscard]] Result<Fd> connect_to(const SocketAddr& addr, int type = SOCK_STREAM) noexcept;

// send/recv never raise SIGPIPE (MSG_NOSIGNAL); a would-block outcome is an error that
// is_would_block() recognises. recv returning 0 means the peer closed its write side.
[[nodiscard]] Result<std::size_t> send(int fd, std::span<const std::byte> data,
                                       int flags = 0) noexcept;
[[nodiscard]] Result<std::size_t> recv(int fd, std::span<std::byte> buf, int flags = 0) noexcept;
[[nodiscard]] Result<std::size_t> send_to(int fd, std::span<const std::byte> data,
                                          const SocketAddr& to) noexcept;
[[nodiscard]] Result<std::pair<std::size_t, SocketAddr>> recv_from(
    int fd, std::span<std::byte> buf) noexcept;

[[nodiscard]] Result<void> shutdown(int fd, int how) noexcept;  // SHUT_RD, SHUT_WR, SHUT_RDWR

[[nodiscard]] Result<SocketAddr> local_addr(int fd) noexcept;
[[nodiscard]] Result<SocketAddr> peer_addr(int fd) noexcept;
// The pending error (SO_ERROR), cleared by reading it: empty when there is none.
[[nodiscard]] Result<std::error_code> socket_error(int fd) noexcept;

[[nodiscard]] Result<void> set_option(int fd, int level, int name, int value) noexcept;
[[nodiscard]] Result<void> set_nodelay(int fd, bool on) noexcept;
[[nodiscard]] Result<void> set_reuseaddr(int fd, bool on) noexcept;
// SO_LINGER with a zero timeout: close() then resets the connection (RST) instead of FIN.
[[nodiscard]] Result<void> set_linger_zero(int fd) noexcept;

// Views of raw bytes, for the span parameters above.
inline std::span<const std::byte> bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span(s.data(), s.size()));
}

}  // namespace evq::sys
