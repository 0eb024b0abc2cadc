// The driver on a readiness queue (evq::poll: epoll, poll).
//
// Protocol
//  - attach registers the socket once, READABLE|WRITABLE, edge-triggered, with a token that
//    carries the registration's slot and generation. detach deregisters and bumps the
//    generation, so an event still in the batch for a closed and reused fd is dropped.
//  - submit tries the syscall first (asio, tokio). On would_block the operation joins its
//    socket's readers or writers, in submission order, and the direction is re-armed (the
//    poll(2) backend's edge emulation; free on epoll).
//  - On an event, the waiting operations of that direction are retried in order until one hits
//    would_block again; the rest wait for the next edge.
//  - A plain readable/writable wait (the caller does the syscall itself, try_read) is told when
//    the caller last saw would_block (IoOp::tried_at, a turn number). Each registration records
//    the last turn that brought it readiness in each direction; readiness from a later turn than
//    the caller's try completes the wait at once (the edge came while nobody waited), else the
//    next edge is still to come and the wait queues. Nothing is ever cleared, so no clear can
//    erase a newer edge (tokio #6133), and no wait costs a syscall.
//  - cancel removes a waiting operation and completes it with operation_canceled at once:
//    nothing of it is in the kernel's hands.
#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "evq/rt/driver.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::rt::detail {

void IoOp::cancel_op(PendingOp& op) noexcept {
  auto& io = static_cast<IoOp&>(op);
  io.task->scheduler->driver().cancel(io);
}

namespace {

using poll::Interest;
using poll::Token;

struct Queue {
  IoOp* head = nullptr;
  IoOp* tail = nullptr;

  void push(IoOp& op) noexcept {
    op.next = nullptr;
    op.prev = tail;
    (tail ? tail->next : head) = &op;
    tail = &op;
    op.waiting = true;
  }
  void remove(IoOp& op) noexcept {
    (op.prev ? op.prev->next : head) = op.next;
    (op.next ? op.next->prev : tail) = op.prev;
    op.next = op.prev = nullptr;
    op.waiting = false;
  }
};

struct Registration {
  int fd = -1;
  std::uint32_t generation = 0;
  std::uint64_t read_turn = 0;  // the last turn that brought readiness, per direction
  std::uint64_t write_turn = 0;
  Queue readers;
  Queue writers;
};

bool reads(OpKind k) noexcept {
  return k == OpKind::accept || k == OpKind::recv || k == OpKind::recv_from ||
         k == OpKind::readable;
}

// Registrations by slot, in chunks of fixed size: addresses stay put as it grows, and finding a
// slot is a shift and a mask (std::deque divides: its chunks hold 512 bytes, not 2^n elements).
class Slots {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  Registration& operator[](std::uint32_t slot) noexcept {
    return (*chunks_[slot >> kShift])[slot & kMask];
  }
  void emplace_back() {
    if ((size_ & kMask) == 0) chunks_.push_back(std::make_unique<Chunk>());
    ++size_;
  }

 private:
  static constexpr unsigned kShift = 6;
  static constexpr std::uint32_t kMask = (1u << kShift) - 1;
  using Chunk = std::array<Registration, std::size_t{1} << kShift>;
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::uint32_t size_ = 0;
};

Token token_of(IoHandle h) noexcept {
  return Token((static_cast<std::uintptr_t>(h.generation) << 32) | h.slot);
}

class ReadinessDriver final : public Driver {
 public:
  explicit ReadinessDriver(poll::Poll poll) noexcept : poll_(std::move(poll)) {}

  Result<IoHandle> attach(int fd) override {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Registration& reg = slots_[slot];
    const IoHandle h{slot, ++reg.generation};
    if (auto r =
            poll_.registry().register_(fd, token_of(h), Interest::READABLE | Interest::WRITABLE);
        !r) {
      free_.push_back(slot);
      return fail(r.error());
    }
    reg.fd = fd;
    reg.read_turn = reg.write_turn = 0;
    return h;
  }

  void detach(IoHandle h) noexcept override {
    Registration* reg = lookup(h);
    if (!reg) return;
    for (Queue* q : {&reg->readers, &reg->writers}) {
      while (IoOp* op = q->head) {
        op->result = fail(sys::os_error(ECANCELED, sys::Op::deregister));
        done(*q, *op);
      }
    }
    // EBADF/ENOENT here means the fd was closed behind our back; there is nothing left to undo.
    (void)poll_.registry().deregister(reg->fd);
    reg->fd = -1;
    ++reg->generation;  // events for the old registration are now stale
    free_.push_back(h.slot);
  }

  bool submit(IoOp& op) noexcept override {
    Registration* reg = lookup(op.io);
    if (!reg) {
      op.result = fail(sys::os_error(EBADF, sys::Op::register_));
      return true;
    }
    if (op.kind == OpKind::connect) {
      if (auto r = sys::connect(reg->fd, *op.addr); !r) {
        op.result = fail(r.error());
        return true;
      }
    } else if (attempt(*reg, op)) {
      return true;
    }
    wait(*reg, op);
    return false;
  }

  void cancel(IoOp& op) noexcept override {
    if (!op.waiting) return;  // completed already: its completion is on its way
    Registration& reg = slots_[op.io.slot];
    op.result = fail(sys::os_error(ECANCELED, sys::Op::poll_wait));
    done(reads(op.kind) ? reg.readers : reg.writers, op);
  }

  Result<void> turn(std::optional<std::chrono::nanoseconds> timeout) override {
    auto r = poll_.poll(events_, timeout);
    if (!r) {
      if (r.error() == std::errc::interrupted) return {};  // a signal: just another turn
      return r;
    }
    ++turns_;
    for (const poll::Event& e : events_) {
      const auto v = e.token().value();
      Registration* reg = lookup(
          {static_cast<std::uint32_t>(v & 0xffffffffu), static_cast<std::uint32_t>(v >> 32)});
      if (!reg) continue;  // stale: the socket was detached earlier
      const bool failed = e.error();
      if (e.readable() || e.read_closed() || failed) {
        reg->read_turn = turns_;
        retry(*reg, reg->readers);
      }
      if (e.writable() || e.write_closed() || failed) {
        reg->write_turn = turns_;
        retry(*reg, reg->writers);
      }
    }
    return {};
  }

  std::size_t pending() const noexcept override { return pending_; }

 private:
  Registration* lookup(IoHandle h) noexcept {
    if (h.slot >= slots_.size()) return nullptr;
    Registration* reg = &slots_[h.slot];
    return reg->generation == h.generation && reg->fd >= 0 ? reg : nullptr;
  }

  // One try at the syscall. True when the operation is finished (success or error).
  bool attempt(Registration& reg, IoOp& op) noexcept {
    switch (op.kind) {
      case OpKind::recv:
        return finish(op, sys::recv(reg.fd, {op.data, op.len}));
      case OpKind::send:
        return finish(op, sys::send(reg.fd, {op.data, op.len}));
      case OpKind::accept: {
        auto r = sys::accept(reg.fd);
        if (!r) return finish(op, fail(r.error()));
        if (op.addr) *op.addr = r->second;
        op.result = static_cast<std::size_t>(r->first.release());
        return true;
      }
      case OpKind::recv_from: {
        auto r = sys::recv_from(reg.fd, {op.data, op.len});
        if (!r) return finish(op, fail(r.error()));
        if (op.addr) *op.addr = r->second;
        op.result = r->first;
        return true;
      }
      case OpKind::send_to:
        return finish(op, sys::send_to(reg.fd, {op.data, op.len}, *op.addr));
      case OpKind::connect: {
        auto err = sys::socket_error(reg.fd);
        if (!err) return finish(op, fail(err.error()));
        if (*err) return finish(op, fail(*err));
        if (!sys::peer_addr(reg.fd)) return false;  // still connecting
        op.result = 0;
        return true;
      }
      case OpKind::readable:
      case OpKind::writable:
        if ((op.kind == OpKind::readable ? reg.read_turn : reg.write_turn) <= op.tried_at) {
          return false;  // no readiness since the caller's try: wait for the next edge
        }
        op.result = 0;
        return true;
    }
    return true;
  }

  bool finish(IoOp& op, Result<std::size_t> r) noexcept {
    if (!r && sys::is_would_block(r.error())) return false;
    op.result = r;
    return true;
  }

  void wait(Registration& reg, IoOp& op) noexcept {
    const bool read = reads(op.kind);
    (read ? reg.readers : reg.writers).push(op);
    ++pending_;
    poll_.registry().rearm(reg.fd, read ? Interest::READABLE : Interest::WRITABLE);
  }

  void retry(Registration& reg, Queue& q) noexcept {
    while (IoOp* op = q.head) {
      const bool plain_wait = op->kind == OpKind::readable || op->kind == OpKind::writable;
      if (!plain_wait && !attempt(reg, *op)) {
        poll_.registry().rearm(reg.fd,
                               &q == &reg.readers ? Interest::READABLE : Interest::WRITABLE);
        return;  // would block again: the rest wait for the next edge
      }
      if (plain_wait) op->result = 0;
      done(q, *op);
    }
  }

  // A waiting operation is finished: off its queue, and its task runs.
  void done(Queue& q, IoOp& op) noexcept {
    q.remove(op);
    --pending_;
    if (op.task->pending == &op) op.task->pending = nullptr;
    op.task->scheduler->schedule(*op.task);
  }

  poll::Poll poll_;
  poll::Events events_{1024};
  Slots slots_;  // stable addresses, no allocation per socket
  std::vector<std::uint32_t> free_;
  std::size_t pending_ = 0;
};

}  // namespace

Result<std::unique_ptr<Driver>> make_readiness_driver(poll::PollOptions options) {
  auto p = poll::Poll::create(options);
  if (!p) return fail(p.error());
  return std::make_unique<ReadinessDriver>(std::move(*p));
}

}  // namespace evq::rt::detail
