// Blocking-style sockets for fibers: each call suspends only the calling fiber (its runtime
// runs everything else meanwhile) and returns when the operation is done, as a blocking socket
// call would in a thread. On every runtime backend (they are evq::net underneath).
//
//   auto l = evq::fiber::TcpListener::bind(addr).value();
//   for (;;) {
//     auto [s, peer] = l.accept().value();
//     evq::fiber::spawn([s = std::move(s)]() mutable { echo(s); });
//   }
//
// Timeouts: the calls that take an rt::Deadline fail with Errc::timed_out once it passed (the
// wait is cancelled; nothing was transferred by a read; a write may have sent part).
// Two ways to read: read() into a buffer of the caller's, or, for a buffer shared by many
// connections (a per-thread scratch buffer, so that a parked connection holds none),
// try_read() and wait_readable() (see net::TcpStream::try_read: may say would_block).
// Errors: Result, as in evq::net. Thread-safety: the fiber's runtime thread only.
#pragma once

#include <span>
#include <utility>

#include "evq/net/tcp.hpp"
#include "evq/result.hpp"
#include "evq/rt/time.hpp"

namespace evq::fiber {

class TcpStream {
 public:
  TcpStream() noexcept = default;
  explicit TcpStream(net::TcpStream s) noexcept : s_(std::move(s)) {}

  [[nodiscard]] static Result<TcpStream> connect(const sys::SocketAddr& addr);

  // At least 1 byte, or 0 at the end of the stream.
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buf);
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buf, rt::Deadline& deadline);
  [[nodiscard]] Result<void> write_all(std::span<const std::byte> data);
  [[nodiscard]] Result<void> write_all(std::span<const std::byte> data, rt::Deadline& deadline);

  // Readiness style (never suspend / suspend without transferring anything).
  [[nodiscard]] Result<std::size_t> try_read(std::span<std::byte> buf) noexcept {
    return s_.try_read(buf);
  }
  [[nodiscard]] Result<std::size_t> try_write(std::span<const std::byte> data) noexcept {
    return s_.try_write(data);
  }
  // Ok once the socket may be read (possibly spuriously: the next try may say would_block).
  [[nodiscard]] Result<void> wait_readable(rt::Deadline& deadline);
  [[nodiscard]] Result<void> wait_writable(rt::Deadline& deadline);

  [[nodiscard]] Result<void> shutdown_write() noexcept { return s_.shutdown_write(); }
  [[nodiscard]] Result<void> set_nodelay(bool on) noexcept { return s_.set_nodelay(on); }
  [[nodiscard]] Result<sys::SocketAddr> local_addr() const noexcept { return s_.local_addr(); }
  [[nodiscard]] Result<sys::SocketAddr> peer_addr() const noexcept { return s_.peer_addr(); }
  [[nodiscard]] int fd() const noexcept { return s_.fd(); }
  [[nodiscard]] net::TcpStream& get() noexcept { return s_; }

 private:
  net::TcpStream s_;
};

class TcpListener {
 public:
  [[nodiscard]] static Result<TcpListener> bind(const sys::SocketAddr& addr, int backlog = 1024);
  [[nodiscard]] static Result<TcpListener> adopt(sys::Fd listening);
  explicit TcpListener(net::TcpListener l) noexcept : l_(std::move(l)) {}

  [[nodiscard]] Result<std::pair<TcpStream, sys::SocketAddr>> accept();
  [[nodiscard]] Result<sys::SocketAddr> local_addr() const noexcept { return l_.local_addr(); }

 private:
  net::TcpListener l_;
};

}  // namespace evq::fiber
