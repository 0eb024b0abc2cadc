#include "evq/net/tcp.hpp"

#include "evq/error.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::net {

namespace detail {

Result<Socket> Socket::attach(sys::Fd fd) {
  rt::detail::TaskHeader* task = rt::detail::current_task;
  if (!task) return fail(Errc::outside_runtime);
  rt::detail::Driver& driver = task->scheduler->driver();
  auto io = driver.attach(fd.get());
  if (!io) return fail(io.error());
  Socket s;
  s.fd_ = std::move(fd);
  s.io_ = *io;
  s.driver_ = &driver;
  return s;
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::move(o.fd_);
    io_ = o.io_;
    driver_ = std::exchange(o.driver_, nullptr);
  }
  return *this;
}

void Socket::close() noexcept {
  if (driver_) std::exchange(driver_, nullptr)->detach(io_);  // deregister, then close
  fd_.reset();
}

}  // namespace detail

rt::Task<Result<TcpStream>> TcpStream::connect(sys::SocketAddr addr) {
  auto fd = sys::socket(addr.family(), SOCK_STREAM);
  if (!fd) co_return fail(fd.error());
  auto s = detail::Socket::attach(std::move(*fd));
  if (!s) co_return fail(s.error());
  detail::OpAwaiter<detail::TakeResult> op(rt::detail::OpKind::connect, s->driver(), s->io(),
                                           nullptr, 0, {});
  op.addr = &addr;
  if (auto r = co_await op; !r) co_return fail(r.error());
  co_return TcpStream(std::move(*s));
}

rt::Task<Result<void>> TcpStream::write_all(std::span<const std::byte> data) {
  while (!data.empty()) {
    auto n = co_await write(data);
    if (!n) co_return fail(n.error());
    data = data.subspan(*n);
  }
  co_return Result<void>{};
}

Result<std::size_t> TcpStream::try_read(std::span<std::byte> buf) noexcept {
  if (!socket_.driver()) return fail(std::make_error_code(std::errc::bad_file_descriptor));
  const std::uint64_t now = socket_.driver()->turns();
  if (drained_ && read_tried_at_ == now) return fail(sys::os_error(EAGAIN, sys::Op::recv));
  if (!rt::detail::spend_budget_before(rt::detail::current_task)) {
    out_of_budget_ = true;
    return fail(sys::os_error(EAGAIN, sys::Op::recv));
  }
  read_tried_at_ = now;
  auto r = sys::recv(fd(), buf);
  drained_ = r && *r > 0 && *r < buf.size();
  return r;
}

Result<std::size_t> TcpStream::try_write(std::span<const std::byte> data) noexcept {
  if (!socket_.driver()) return fail(std::make_error_code(std::errc::bad_file_descriptor));
  if (!rt::detail::spend_budget_before(rt::detail::current_task)) {
    out_of_budget_ = true;
    return fail(sys::os_error(EAGAIN, sys::Op::send));
  }
  write_tried_at_ = socket_.driver()->turns();
  return sys::send(fd(), data);
}

Result<void> TcpStream::shutdown_write() noexcept {
  return sys::shutdown(fd(), SHUT_WR);
}
Result<void> TcpStream::set_nodelay(bool on) noexcept {
  return sys::set_nodelay(fd(), on);
}
Result<sys::SocketAddr> TcpStream::local_addr() const noexcept {
  return sys::local_addr(fd());
}
Result<sys::SocketAddr> TcpStream::peer_addr() const noexcept {
  return sys::peer_addr(fd());
}

Result<TcpListener> TcpListener::bind(const sys::SocketAddr& addr, int backlog) {
  auto fd = sys::listen_on(addr, backlog);
  if (!fd) return fail(fd.error());
  return adopt(std::move(*fd));
}

Result<TcpListener> TcpListener::adopt(sys::Fd listening) {
  auto s = detail::Socket::attach(std::move(listening));
  if (!s) return fail(s.error());
  return TcpListener(std::move(*s));
}

rt::Task<Result<std::pair<TcpStream, sys::SocketAddr>>> TcpListener::accept() {
  sys::SocketAddr peer;
  detail::OpAwaiter<detail::TakeResult> op(rt::detail::OpKind::accept, socket_.driver(),
                                           socket_.io(), nullptr, 0, {});
  op.addr = &peer;
  auto r = co_await op;
  if (!r) co_return fail(r.error());
  auto s = detail::Socket::attach(sys::Fd(static_cast<int>(*r)));
  if (!s) co_return fail(s.error());
  co_return std::pair{TcpStream(std::move(*s)), peer};
}

Result<sys::SocketAddr> TcpListener::local_addr() const noexcept {
  return sys::local_addr(socket_.fd());
}

}  // namespace evq::net
