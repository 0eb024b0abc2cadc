// evq::net::UdpSocket: datagram sockets for tasks of an evq::rt::Runtime.
//
//   auto sock = net::UdpSocket::bind(addr).value();            // inside a task; port 0 picks one
//   co_await sock.send_to(bytes, peer);                         // Result<size_t>
//   auto r = co_await sock.recv_from(buf);                      // Result<pair<size_t, SocketAddr>>
//
// One call is one datagram: its boundaries are kept, and a datagram larger than the buffer given
// to recv_from or recv is truncated to it, the rest discarded (as recvfrom(2) does; the result is
// then buf.size() and nothing tells the datagram's real size). An empty datagram is received as
// 0 bytes: for UDP, 0 is not an end of stream.
// Every call returns Result; OS errors name the operation ("sendto: ...", "recvfrom: ...").
// Like TcpStream, the socket uses only the runtime's driver (evq/rt/driver.hpp), so it runs
// unchanged on every backend.
// Lifetime: as TcpStream's (evq/net/tcp.hpp): attached to the runtime of the task that bound it,
// it must not outlive that runtime; destroying it deregisters, then closes. The buffers given to
// an operation must stay valid until it completes; send_to copies its target address.
// Thread-safety: the runtime's thread only.
// Cancellation: aborting a task waiting in recv_from, recv, send_to or send (or a timeout on one
// of them) cancels the operation; nothing is received or sent by it. As for TcpStream, the
// readiness driver performs the operation as soon as the socket is ready, before the task
// resumes: a task aborted between the two loses the datagram received for it.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include "evq/net/tcp.hpp"  // detail::Socket, detail::OpAwaiter
#include "evq/result.hpp"
#include "evq/rt/driver.hpp"
#include "evq/sys/socket_addr.hpp"

namespace evq::net {

namespace detail {

// The awaiters of send_to and recv_from: an OpAwaiter that carries the datagram's address (the
// target, copied, so the caller's may be a temporary; or the sender, filled in by the driver).
// IoOp::addr points into the awaiter itself, so it is set when the awaiter is awaited, after any
// move (rt::timeout moves the awaiter it is given into its own).
struct SendToAwaiter : OpAwaiter<TakeResult> {
  sys::SocketAddr to;

  SendToAwaiter(rt::detail::Driver* d, rt::detail::IoHandle h, std::span<const std::byte> data,
                const sys::SocketAddr& target) noexcept
      : OpAwaiter(rt::detail::OpKind::send_to, d, h, const_cast<std::byte*>(data.data()),
                  data.size(), {}),
        to(target) {}
  bool await_ready() noexcept {
    addr = &to;
    return OpAwaiter::await_ready();
  }
};

struct RecvFromAwaiter : OpAwaiter<TakeResult> {
  sys::SocketAddr from;

  RecvFromAwaiter(rt::detail::Driver* d, rt::detail::IoHandle h, std::span<std::byte> buf) noexcept
      : OpAwaiter(rt::detail::OpKind::recv_from, d, h, buf.data(), buf.size(), {}) {}
  bool await_ready() noexcept {
    addr = &from;
    return OpAwaiter::await_ready();
  }
  Result<std::pair<std::size_t, sys::SocketAddr>> await_resume() {
    auto n = OpAwaiter::await_resume();
    if (!n) return fail(n.error());
    return std::pair{*n, from};
  }
};

}  // namespace detail

class UdpSocket {
 public:
  // Not bound: every operation fails with bad_file_descriptor.
  UdpSocket() noexcept = default;

  // A socket bound to `addr` (IPv4 or IPv6; port 0 picks a free one). Call inside a task.
  // Errors: Errc::outside_runtime, "bind: Address already in use", and the like.
  [[nodiscard]] static Result<UdpSocket> bind(const sys::SocketAddr& addr);

  // Sends `data` as one datagram to `to`; returns how much was sent (all of it, for UDP).
  [[nodiscard]] detail::SendToAwaiter send_to(std::span<const std::byte> data,
                                              const sys::SocketAddr& to) noexcept {
    return {socket_.driver(), socket_.io(), data, to};
  }
  // The next datagram (truncated to `buf`, see above) and its sender's address.
  [[nodiscard]] detail::RecvFromAwaiter recv_from(std::span<std::byte> buf) noexcept {
    return {socket_.driver(), socket_.io(), buf};
  }

  // Sets the default peer for send and recv, and receives only from it from now on. UDP has no
  // handshake: this completes at once, and an unreachable peer shows later, as an error
  // (connection_refused) of a send or recv.
  [[nodiscard]] Result<void> connect(const sys::SocketAddr& peer) noexcept;
  // send_to and recv_from for a connected socket (the address is the peer's).
  [[nodiscard]] auto send(std::span<const std::byte> data) noexcept {
    return io(rt::detail::OpKind::send, const_cast<std::byte*>(data.data()), data.size());
  }
  [[nodiscard]] auto recv(std::span<std::byte> buf) noexcept {
    return io(rt::detail::OpKind::recv, buf.data(), buf.size());
  }

  [[nodiscard]] Result<sys::SocketAddr> local_addr() const noexcept;
  [[nodiscard]] Result<sys::SocketAddr> peer_addr() const noexcept;  // after connect
  [[nodiscard]] int fd() const noexcept { return socket_.fd(); }

 private:
  explicit UdpSocket(detail::Socket s) noexcept : socket_(std::move(s)) {}
  detail::OpAwaiter<detail::TakeResult> io(rt::detail::OpKind kind, std::byte* data,
                                           std::size_t len) noexcept {
    return {kind, socket_.driver(), socket_.io(), data, len, detail::TakeResult{}};
  }
  detail::Socket socket_;
};

}  // namespace evq::net
