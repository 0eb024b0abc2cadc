#include "evq/net/udp.hpp"

#include "evq/sys/socket.hpp"

namespace evq::net {

Result<UdpSocket> UdpSocket::bind(const sys::SocketAddr& addr) {
  auto fd = sys::socket(addr.family(), SOCK_DGRAM);
  if (!fd) return fail(fd.error());
  if (auto r = sys::bind(fd->get(), addr); !r) return fail(r.error());
  auto s = detail::Socket::attach(std::move(*fd));
  if (!s) return fail(s.error());
  return UdpSocket(std::move(*s));
}

Result<void> UdpSocket::connect(const sys::SocketAddr& peer) noexcept {
  // Never EINPROGRESS for a datagram socket: connect(2) only records the peer.
  return sys::connect(fd(), peer);
}

Result<sys::SocketAddr> UdpSocket::local_addr() const noexcept {
  return sys::local_addr(fd());
}

Result<sys::SocketAddr> UdpSocket::peer_addr() const noexcept {
  return sys::peer_addr(fd());
}

}  // namespace evq::net
