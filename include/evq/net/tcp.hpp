// evq::net: TCP sockets for tasks of an evq::rt::Runtime.
//
//   auto listener = net::TcpListener::bind(addr).value();   // inside a task
//   auto [stream, peer] = (co_await listener.accept()).value();
//   auto n = co_await stream.read(buf);                     // Result<size_t>, 0 at end of stream
//   co_await stream.write_all(bytes);
//
// Every call returns Result; OS errors name the operation. The sockets use only the runtime's
// driver (evq/rt/driver.hpp), never the event queue directly, so they run unchanged on every
// backend. Lifetime: a socket is attached to the runtime of the task that created it and must
// not outlive that runtime; destroying it deregisters, then closes.
// Thread-safety: the runtime's thread only.
// Cancellation: aborting a task waiting in read, write, accept or connect cancels the operation;
// nothing is consumed or sent by it. But the readiness driver performs an operation as soon as
// the socket is ready, before the task resumes: a task aborted between the two loses what that
// operation did (bytes read are dropped, bytes written were sent, an accepted connection is
// closed). Current behaviour, not a promise; a later driver may defer the syscall to resumption.
#pragma once

#include <cassert>
#include <coroutine>
#include <span>
#include <utility>

#include "evq/result.hpp"
#include "evq/rt/driver.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/rt/task.hpp"
#include "evq/sys/fd.hpp"
#include "evq/sys/socket_addr.hpp"

namespace evq::net {

namespace detail {

// Submits one driver operation and suspends until it completes (or not at all if it completed
// at once). `Finish` turns the finished operation into the awaiter's result.
template <class Finish>
struct OpAwaiter : rt::detail::IoOp {
  rt::detail::Driver* driver;
  [[no_unique_address]] Finish finish;

  OpAwaiter(rt::detail::OpKind kind, rt::detail::Driver* d, rt::detail::IoHandle h, std::byte* buf,
            std::size_t n, Finish f) noexcept
      : IoOp(kind), driver(d), finish(std::move(f)) {
    io = h;
    data = buf;
    len = n;
  }
  // Movable until awaited (so rt::timeout can hold it), never once submitted.
  OpAwaiter(OpAwaiter&& o) noexcept
      : IoOp(o), driver(o.driver), finish(std::move(o.finish)), yield_first(o.yield_first) {
    assert(!o.submitted);
  }
  OpAwaiter& operator=(const OpAwaiter&) = delete;
  // An accept that completed but was never resumed (its task was aborted in between) still
  // produced a connection: close it rather than leak it.
  ~OpAwaiter() {
    if (kind == rt::detail::OpKind::accept && submitted && !resumed && result) {
      sys::Fd(static_cast<int>(*result)).reset();
    }
  }

  // A closed (or moved-from) socket has no driver: the operation fails at once.
  bool await_ready() noexcept {
    if (driver) return false;
    result = fail(std::make_error_code(std::errc::bad_file_descriptor));
    return true;
  }
  bool await_suspend(std::coroutine_handle<> h) noexcept {
    submitted = true;
    task = rt::detail::current_task;
    if (yield_first) {  // a readiness wait its caller knows is satisfied: only yield
      result = 0;
      task->resume_at = h;
      task->scheduler->schedule(*task);
      return true;
    }
    if (driver->submit(*this)) {
      if (rt::detail::consume_budget(*task)) return false;
      // Out of budget: done, but let the others run first (fairness).
      task->resume_at = h;
      task->scheduler->schedule(*task);
      return true;
    }
    task->resume_at = h;
    task->pending = this;
    return true;
  }
  auto await_resume() {
    resumed = true;
    return finish(static_cast<IoOp&>(*this));
  }
  bool submitted = false;
  bool resumed = false;
  bool yield_first = false;  // see TcpStream::try_read
};

// The most common Finish: the operation's own result (bytes moved).
struct TakeResult {
  Result<std::size_t> operator()(rt::detail::IoOp& op) const { return std::move(op.result); }
};

// The registered socket underneath TcpStream and TcpListener.
class Socket {
 public:
  Socket() noexcept = default;
  Socket(Socket&& o) noexcept
      : fd_(std::move(o.fd_)), io_(o.io_), driver_(std::exchange(o.driver_, nullptr)) {}
  Socket& operator=(Socket&& o) noexcept;
  ~Socket() { close(); }

  // Attaches `fd` to the current task's runtime. Errors: Errc::outside_runtime, OS errors.
  [[nodiscard]] static Result<Socket> attach(sys::Fd fd);
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] rt::detail::IoHandle io() const noexcept { return io_; }
  [[nodiscard]] rt::detail::Driver* driver() const noexcept { return driver_; }
  void close() noexcept;

 private:
  sys::Fd fd_;
  rt::detail::IoHandle io_;
  rt::detail::Driver* driver_ = nullptr;
};

}  // namespace detail

class TcpStream {
 public:
  TcpStream() noexcept = default;
  explicit TcpStream(detail::Socket s) noexcept : socket_(std::move(s)) {}

  // Connects to `addr`. Errors: connection_refused, and the like.
  [[nodiscard]] static rt::Task<Result<TcpStream>> connect(sys::SocketAddr addr);

  // Reads what is available (at least 1 byte, or 0 at the end of the stream).
  [[nodiscard]] auto read(std::span<std::byte> buf) noexcept {
    return io(rt::detail::OpKind::recv, buf.data(), buf.size());
  }
  // Writes some of `data`; returns how much.
  [[nodiscard]] auto write(std::span<const std::byte> data) noexcept {
    return io(rt::detail::OpKind::send, const_cast<std::byte*>(data.data()), data.size());
  }
  // Readiness-style reading, for reading into a buffer shared between connections (a per-thread
  // scratch buffer: a parked connection then holds none). try_read never suspends and may fail
  // with would_block (sys::is_would_block); then await readable() and try again. readable()
  // completes at once if readiness arrived since the last try_read, else at the next edge; it
  // may complete spuriously (the next try_read says would_block again: wait again).
  // A read shorter than `buf` drained the socket: until the loop turns (when a new edge could
  // be seen) or readable() is awaited, try_read says would_block without a syscall (what
  // raw-epoll servers and tokio do: it saves the read that would return EAGAIN).
  // Fairness: each try spends one unit of the task's budget (like every operation); once it is
  // spent, the try says would_block without a syscall and the next readable()/writable() only
  // yields, so a connection that always has data cannot keep the loop to itself.
  [[nodiscard]] Result<std::size_t> try_read(std::span<std::byte> buf) noexcept;
  [[nodiscard]] auto readable() noexcept {
    auto op = io(rt::detail::OpKind::readable, nullptr, 0);
    op.tried_at = read_tried_at_;
    op.yield_first = std::exchange(out_of_budget_, false);
    drained_ = false;  // after this wait, try again for real
    return op;
  }
  // The same for writing: try_write sends what fits now (never suspends), writable() waits.
  [[nodiscard]] Result<std::size_t> try_write(std::span<const std::byte> data) noexcept;
  [[nodiscard]] auto writable() noexcept {
    auto op = io(rt::detail::OpKind::writable, nullptr, 0);
    op.tried_at = write_tried_at_;
    op.yield_first = std::exchange(out_of_budget_, false);
    return op;
  }

  // Writes all of `data`, or fails.
  [[nodiscard]] rt::Task<Result<void>> write_all(std::span<const std::byte> data);

  [[nodiscard]] Result<void> shutdown_write() noexcept;
  [[nodiscard]] Result<void> set_nodelay(bool on) noexcept;
  [[nodiscard]] Result<sys::SocketAddr> local_addr() const noexcept;
  [[nodiscard]] Result<sys::SocketAddr> peer_addr() const noexcept;
  [[nodiscard]] int fd() const noexcept { return socket_.fd(); }

 private:
  detail::OpAwaiter<detail::TakeResult> io(rt::detail::OpKind kind, std::byte* data,
                                           std::size_t len) noexcept {
    return {kind, socket_.driver(), socket_.io(), data, len, detail::TakeResult{}};
  }
  detail::Socket socket_;
  std::uint64_t read_tried_at_ = 0;  // the driver's turns() at the last try_read/try_write
  std::uint64_t write_tried_at_ = 0;
  bool out_of_budget_ = false;  // a try said would_block because the task must yield
  bool drained_ = false;        // the last read was short: the socket had no more then
};

class TcpListener {
 public:
  // Binds and listens (SO_REUSEADDR, backlog as given). Call inside a task.
  [[nodiscard]] static Result<TcpListener> bind(const sys::SocketAddr& addr, int backlog = 1024);
  // Takes a socket that is already listening (e.g. one of several SO_REUSEPORT listeners made
  // with sys::listen_on, one per event loop). Call inside a task.
  [[nodiscard]] static Result<TcpListener> adopt(sys::Fd listening);

  // The next connection and its peer's address.
  [[nodiscard]] rt::Task<Result<std::pair<TcpStream, sys::SocketAddr>>> accept();
  [[nodiscard]] Result<sys::SocketAddr> local_addr() const noexcept;

 private:
  explicit TcpListener(detail::Socket s) noexcept : socket_(std::move(s)) {}
  detail::Socket socket_;
};

// Unix-domain stream sockets behave the same; bind and connect to a "unix:PATH" address.
// (set_nodelay does not apply to them and fails with an OS error.)
using UnixListener = TcpListener;
using UnixStream = TcpStream;

}  // namespace evq::net
