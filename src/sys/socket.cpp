#include "evq/sys/socket.hpp"

#include <netinet/tcp.h>

#include "evq/sys/error.hpp"

namespace evq::sys {
namespace {

// Runs a syscall returning ssize_t, retrying EINTR.
template <class F>
Result<std::size_t> retry_io(Op op, F f) noexcept {
  ssize_t n;
  do
    n = f();
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(last_error(op));
  return static_cast<std::size_t>(n);
}

}  // namespace

Result<Fd> socket(int family, int type, int protocol) noexcept {
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return fail(last_error(Op::socket));
  return Fd(fd);
}

Result<std::pair<Fd, Fd>> socketpair(int type) noexcept {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail(last_error(Op::socketpair));
  }
  return std::pair{Fd(fds[0]), Fd(fds[1])};
}

Result<void> bind(int fd, const SocketAddr& addr) noexcept {
  if (::bind(fd, addr.native(), addr.native_len()) != 0) return fail(last_error(Op::bind));
  return {};
}

Result<void> listen(int fd, int backlog) noexcept {
  if (::listen(fd, backlog) != 0) return fail(last_error(Op::listen));
  return {};
}

Result<Fd> listen_on(const SocketAddr& addr, int backlog, bool reuse_port) noexcept {
  auto fd = socket(addr.family(), SOCK_STREAM);
  if (!fd) return fd;
  if (addr.is_ip()) {
    if (auto r = set_reuseaddr(fd->get(), true); !r) return fail(r.error());
  }
  if (reuse_port) {
    if (auto r = set_option(fd->get(), SOL_SOCKET, SO_REUSEPORT, 1); !r) return fail(r.error());
  }
  if (auto r = bind(fd->get(), addr); !r) return fail(r.error());
  if (auto r = listen(fd->get(), backlog); !r) return fail(r.error());
  return fd;
}

Result<std::pair<Fd, SocketAddr>> accept(int fd) noexcept {
  SocketAddr peer;
  int r;
  do
    r = ::accept4(fd, peer.native_mut(), peer.native_len_mut(), SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return fail(last_error(Op::accept));
  return std::pair{Fd(r), peer};
}

Result<void> connect(int fd, const SocketAddr& addr) noexcept {
  // EINTR: the connection continues asynchronously, like EINPROGRESS (connect(2), POSIX).
  if (::connect(fd, addr.native(), addr.native_len()) != 0 && errno != EINPROGRESS &&
      errno != EINTR) {
    return fail(last_error(Op::connect));
  }
  return {};
}

Result<Fd> connect_to(const SocketAddr& addr, int type) noexcept {
  auto fd = socket(addr.family(), type);
  if (!fd) return fd;
  if (auto r = connect(fd->get(), addr); !r) return fail(r.error());
  return fd;
}

Result<std::size_t> send(int fd, std::span<const std::byte> data, int flags) noexcept {
  return retry_io(Op::send,
                  [&] { return ::send(fd, data.data(), data.size(), flags | MSG_NOSIGNAL); });
}

Result<std::size_t> recv(int fd, std::span<std::byte> buf, int flags) noexcept {
  return retry_io(Op::recv, [&] { return ::recv(fd, buf.data(), buf.size(), flags); });
}

Result<std::size_t> send_to(int fd, std::span<const std::byte> data,
                            const SocketAddr& to) noexcept {
  return retry_io(Op::sendto, [&] {
    return ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, to.native(), to.native_len());
  });
}

Result<std::pair<std::size_t, SocketAddr>> recv_from(int fd, std::span<std::byte> buf) noexcept {
  SocketAddr from;
  auto n = retry_io(Op::recvfrom, [&] {
    return ::recvfrom(fd, buf.data(), buf.size(), 0, from.native_mut(), from.native_len_mut());
  });
  if (!n) return fail(n.error());
  return std::pair{*n, from};
}

Result<void> shutdown(int fd, int how) noexcept {
  if (::shutdown(fd, how) != 0) return fail(last_error(Op::shutdown));
  return {};
}

Result<SocketAddr> local_addr(int fd) noexcept {
  SocketAddr a;
  if (::getsockname(fd, a.native_mut(), a.native_len_mut()) != 0) {
    return fail(last_error(Op::getsockname));
  }
  return a;
}

Result<SocketAddr> peer_addr(int fd) noexcept {
  SocketAddr a;
  if (::getpeername(fd, a.native_mut(), a.native_len_mut()) != 0) {
    return fail(last_error(Op::getpeername));
  }
  return a;
}

Result<std::error_code> socket_error(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return fail(last_error(Op::getsockopt));
  }
  if (err == 0) return std::error_code{};
  return os_error(err, Op::pending);
}

Result<void> set_option(int fd, int level, int name, int value) noexcept {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return fail(last_error(Op::setsockopt));
  }
  return {};
}

Result<void> set_nodelay(int fd, bool on) noexcept {
  return set_option(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

Result<void> set_reuseaddr(int fd, bool on) noexcept {
  return set_option(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0);
}

Result<void> set_linger_zero(int fd) noexcept {
  const linger l{1, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) != 0) {
    return fail(last_error(Op::setsockopt));
  }
  return {};
}

}  // namespace evq::sys
