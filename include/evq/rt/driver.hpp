// evq::rt::detail::Driver: the one seam between the runtime and the OS.
//
// The runtime and evq::net speak only in operations: accept, connect, recv, send, and waiting
// for readability or writability, each an IoOp that lives in the awaiting coroutine's frame.
// A driver either completes an operation at once (submit returns true) or later, by filling in
// `result`, clearing the task's `pending` and scheduling the task. This shape fits both
// readiness queues (try the syscall; on would_block wait for an edge and try again) and
// completion queues (hand the operation and its buffer to the kernel; reap the completion), so a
// completion driver (io_uring) can replace the readiness one without touching evq::net.
//
//   attach(fd)        register a socket; gives the handle operations name it by
//   detach(handle)    deregister it before it is closed; its waiting operations complete with
//                     operation_canceled first
//   submit(op)        start an operation; true if it already completed
//   cancel(op)        request that a waiting operation stop; it completes (with
//                     operation_canceled, or its real result if that came first) now or later
//   turn(timeout)     wait for the OS (up to timeout) and complete what became possible
//   pending()         operations submitted and not completed (for deadlock detection)
//
// Cancellation contract: the operation's memory (and its buffer) stays in use until it has
// completed; the scheduler never frees a frame before that (see scheduler.hpp).
// Thread-safety: the runtime's thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "evq/poll/poll.hpp"
#include "evq/result.hpp"
#include "evq/rt/task_header.hpp"
#include "evq/sys/socket_addr.hpp"

namespace evq::rt::detail {

enum class OpKind : std::uint8_t {
  accept,
  connect,
  recv,
  send,
  recv_from,  // a datagram and its sender
  send_to,    // a datagram to `addr`
  readable,
  writable,
};

// A registered socket, as operations name it.
struct IoHandle {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
};

struct IoOp : PendingOp {
  explicit IoOp(OpKind k) noexcept : PendingOp{&cancel_op}, kind(k) {}

  OpKind kind;
  bool waiting = false;  // in the driver's waiting list
  IoHandle io;
  std::byte* data = nullptr;  // recv, recv_from: where to; send, send_to: what (len bytes)
  std::size_t len = 0;
  // connect, send_to: the target; accept, recv_from: the peer, filled in. Owned by the caller
  // (kept out of IoOp so that every read and write awaiter in a frame stays small).
  sys::SocketAddr* addr = nullptr;
  Result<std::size_t> result;  // bytes moved; accept: the new fd
  // readable, writable: turns() when the caller last tried the syscall itself and was told
  // would_block. Readiness seen after that turn completes the wait at once; none means the next
  // edge is still to come. 0 (never tried) is always safe.
  std::uint64_t tried_at = 0;
  TaskHeader* task = nullptr;  // who to schedule on completion
  IoOp* next = nullptr;        // the driver's waiting list
  IoOp* prev = nullptr;

 private:
  static void cancel_op(PendingOp& op) noexcept;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // How many turns have run (each turn() adds one as it takes what the OS reported). Sockets sample
  // it before a syscall of their own (try_read) so a later readable() wait knows whether readiness
  // arrived since: tokio's readiness tick, so no wait sleeps through an edge that came before it
  // and no wait needs a syscall to find out.
  [[nodiscard]] std::uint64_t turns() const noexcept { return turns_; }
  [[nodiscard]] virtual Result<IoHandle> attach(int fd) = 0;
  virtual void detach(IoHandle io) noexcept = 0;
  [[nodiscard]] virtual bool submit(IoOp& op) noexcept = 0;
  virtual void cancel(IoOp& op) noexcept = 0;
  virtual Result<void> turn(std::optional<std::chrono::nanoseconds> timeout) = 0;
  [[nodiscard]] virtual std::size_t pending() const noexcept = 0;

 protected:
  std::uint64_t turns_ = 0;
};

// The readiness implementation, on evq::poll.
[[nodiscard]] Result<std::unique_ptr<Driver>> make_readiness_driver(poll::PollOptions options);

}  // namespace evq::rt::detail
