#include "evq/fiber/net.hpp"

#include "evq/fiber/runtime.hpp"

namespace evq::fiber {
namespace {

// A wait cut short by a Deadline: Result<Result<T>> folded into Result<T>.
template <class T>
Result<T> flatten(Result<Result<T>> r) {
  if (!r) return fail(r.error());
  return std::move(*r);
}

Result<void> ready(Result<Result<std::size_t>> r) {
  if (!r) return fail(r.error());
  if (!*r) return fail(r->error());
  return {};
}

}  // namespace

Result<TcpStream> TcpStream::connect(const sys::SocketAddr& addr) {
  auto s = await(net::TcpStream::connect(addr));
  if (!s) return fail(s.error());
  return TcpStream(std::move(*s));
}

Result<std::size_t> TcpStream::read(std::span<std::byte> buf) {
  return await(s_.read(buf));
}

Result<std::size_t> TcpStream::read(std::span<std::byte> buf, rt::Deadline& deadline) {
  return flatten(await(rt::timeout(deadline, s_.read(buf))));
}

Result<void> TcpStream::write_all(std::span<const std::byte> data) {
  while (!data.empty()) {
    auto n = await(s_.write(data));
    if (!n) return fail(n.error());
    data = data.subspan(*n);
  }
  return {};
}

Result<void> TcpStream::write_all(std::span<const std::byte> data, rt::Deadline& deadline) {
  while (!data.empty()) {
    auto n = flatten(await(rt::timeout(deadline, s_.write(data))));
    if (!n) return fail(n.error());
    data = data.subspan(*n);
  }
  return {};
}

Result<void> TcpStream::wait_readable(rt::Deadline& deadline) {
  return ready(await(rt::timeout(deadline, s_.readable())));
}

Result<void> TcpStream::wait_writable(rt::Deadline& deadline) {
  return ready(await(rt::timeout(deadline, s_.writable())));
}

Result<TcpListener> TcpListener::bind(const sys::SocketAddr& addr, int backlog) {
  auto l = net::TcpListener::bind(addr, backlog);
  if (!l) return fail(l.error());
  return TcpListener(std::move(*l));
}

Result<TcpListener> TcpListener::adopt(sys::Fd listening) {
  auto l = net::TcpListener::adopt(std::move(listening));
  if (!l) return fail(l.error());
  return TcpListener(std::move(*l));
}

Result<std::pair<TcpStream, sys::SocketAddr>> TcpListener::accept() {
  auto c = await(l_.accept());
  if (!c) return fail(c.error());
  return std::pair{TcpStream(std::move(c->first)), c->second};
}

}  // namespace evq::fiber
