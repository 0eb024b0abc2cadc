// FakeDriver: a rt::detail::Driver for tests that behaves like a completion queue (io_uring)
// whose completions the test hands out, late and in any order.
//
//  - attach() accepts any fd and never touches it (an eventfd, a socketpair end, a real
//    listening socket: all the same to the fake).
//  - submit() holds the operation (it stays in flight) unless an on_submit() hook completes it
//    at once. Nothing completes by itself: the test completes each operation, when and in which
//    order it likes, with the result it likes: complete(id, ...) now, complete_at_turn(id, ...)
//    during a later turn, complete_all_in_reverse(...).
//  - A completion happens the way a completion queue's does: a recv's bytes are written into
//    the operation's buffer at completion time (in the awaiting frame), an accept's peer into
//    op.addr; then the result is set and the task scheduled. So a frame freed while its
//    operation is in flight is a heap-use-after-free that ASan reports.
//  - cancel() is a request: by default (CancelMode::manual) it is only recorded, and the
//    operation stays in flight until the test completes it, with operation_canceled
//    (canceled()) or with a real result (the cancel lost the race). CancelMode::next_turn
//    completes requested cancellations at the next turn; CancelMode::at_once completes them
//    inside cancel() (what the readiness driver does).
//  - detach() completes the handle's operations still in flight with operation_canceled, as the
//    Driver contract says.
//  - turn() performs the completions due this turn. It never blocks for long: with nothing
//    scheduled it sleeps for the timeout (the scheduler waits for a timer) and returns; with no
//    timeout either, nothing can ever complete the operations in flight, so it fails with
//    std::errc::resource_deadlock_would_occur (block_on throws it) instead of hanging.
//  - pending() counts operations submitted and not completed (cancel requested or not), so the
//    scheduler's deadlock detection sees them.
// Lifetime: the Runtime owns the driver; log() outlives both, for what a test checks after the
// runtime is gone. The destructor touches no operation still in flight (it only counts them).
// Thread-safety: the runtime's thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "evq/result.hpp"
#include "evq/rt/driver.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/scheduler.hpp"
#include "evq/sys/socket_addr.hpp"

namespace evq::rt::test {

class FakeDriver final : public detail::Driver {
 public:
  using OpId = std::uint64_t;  // submission order, from 1

  // What an operation completes with.
  struct Completion {
    Result<std::size_t> result = 0;
    std::vector<std::byte> bytes;         // recv, recv_from: written into the op's buffer
    std::optional<sys::SocketAddr> peer;  // accept, recv_from: written into op.addr
  };
  // recv: `s` lands in the buffer (truncated to its length); the result is what fit.
  static Completion data(std::string_view s) {
    Completion c;
    c.bytes.resize(s.size());
    if (!s.empty()) std::memcpy(c.bytes.data(), s.data(), s.size());
    c.result = s.size();
    return c;
  }
  // send: bytes sent; connect: 0; readable, writable: 0.
  static Completion value(std::size_t n) {
    Completion c;
    c.result = n;
    return c;
  }
  // accept: the new connection's fd (ownership passes to the accepting side) and its peer.
  static Completion accepted(int fd, const sys::SocketAddr& peer) {
    Completion c = value(static_cast<std::size_t>(fd));
    c.peer = peer;
    return c;
  }
  static Completion error(std::error_code ec) {
    Completion c;
    c.result = fail(ec);
    return c;
  }
  // What a cancelled operation completes with.
  static Completion canceled() {
    return error(std::make_error_code(std::errc::operation_canceled));
  }

  // An operation in flight, as the test sees it.
  struct Op {
    OpId id = 0;
    detail::OpKind kind{};
    int fd = -1;  // the fd its handle was attached with
    std::size_t len = 0;
    std::optional<sys::SocketAddr> target;  // connect, send_to: where to
    std::uint64_t submitted_at = 0;         // turns() then
    bool cancel_requested = false;
  };

  enum class CancelMode { manual, next_turn, at_once };

  // What happened, kept past the driver's destruction.
  struct Log {
    std::size_t submitted = 0;
    std::size_t cancel_requests = 0;
    std::vector<OpId> completed;  // in completion order
    std::size_t in_flight_at_destruction = 0;
    bool destroyed = false;
  };

  FakeDriver() = default;
  FakeDriver(const FakeDriver&) = delete;
  FakeDriver& operator=(const FakeDriver&) = delete;
  ~FakeDriver() override {
    log_->in_flight_at_destruction = in_flight_.size();
    log_->destroyed = true;
  }

  // ---- configuration
  void set_cancel_mode(CancelMode m) noexcept { cancel_mode_ = m; }
  // Called at each submit: a completion to finish the operation at once (submit returns true),
  // or nullopt to keep it in flight.
  void on_submit(std::function<std::optional<Completion>(const Op&)> hook) {
    on_submit_ = std::move(hook);
  }

  // ---- what is in flight
  [[nodiscard]] std::vector<Op> ops() const {
    std::vector<Op> out;
    for (const Entry& e : in_flight_)
      out.push_back(e.info);
    return out;
  }
  // The oldest operation in flight that matches.
  [[nodiscard]] std::optional<Op> find(const std::function<bool(const Op&)>& pred) const {
    for (const Entry& e : in_flight_)
      if (pred(e.info)) return e.info;
    return std::nullopt;
  }
  [[nodiscard]] std::optional<Op> find(detail::OpKind kind, int fd) const {
    return find([&](const Op& op) { return op.kind == kind && op.fd == fd; });
  }
  [[nodiscard]] bool in_flight(OpId id) const noexcept { return index_of(id).has_value(); }
  [[nodiscard]] std::shared_ptr<const Log> log() const noexcept { return log_; }

  // ---- completing
  // Completes operation `id` now; false if it is not in flight (completed already).
  bool complete(OpId id, Completion c) noexcept {
    auto i = index_of(id);
    if (!i) return false;
    deliver(*i, std::move(c));
    return true;
  }
  // Completes every operation in flight, newest first, each with what `make` gives it.
  void complete_all_in_reverse(const std::function<Completion(const Op&)>& make) {
    while (!in_flight_.empty()) {
      const std::size_t last = in_flight_.size() - 1;
      deliver(last, make(in_flight_[last].info));
    }
  }
  // Completes `id` during the `turns`-th turn from now (1: the next one), if still in flight.
  // Completions due in the same turn happen in the order they were scheduled.
  void complete_at_turn(OpId id, Completion c, std::uint64_t turns = 1) {
    scheduled_.push_back({id, turns_ + turns, std::move(c)});
  }

  // ---- Driver
  Result<detail::IoHandle> attach(int fd) override {
    slots_.push_back({fd, true});
    return detail::IoHandle{static_cast<std::uint32_t>(slots_.size() - 1), 1};
  }

  void detach(detail::IoHandle io) noexcept override {
    if (io.slot >= slots_.size() || !slots_[io.slot].attached) return;
    for (std::size_t i = 0; i < in_flight_.size();) {
      if (in_flight_[i].slot == io.slot) {
        deliver(i, canceled());
      } else {
        ++i;
      }
    }
    slots_[io.slot].attached = false;
  }

  bool submit(detail::IoOp& op) noexcept override {
    ++log_->submitted;
    Op info;
    info.id = next_id_++;
    info.kind = op.kind;
    info.len = op.len;
    info.submitted_at = turns_;
    if (op.io.slot >= slots_.size() || !slots_[op.io.slot].attached) {
      op.result = fail(std::make_error_code(std::errc::bad_file_descriptor));
      log_->completed.push_back(info.id);
      return true;
    }
    info.fd = slots_[op.io.slot].fd;
    if (op.addr && (op.kind == detail::OpKind::connect || op.kind == detail::OpKind::send_to)) {
      info.target = *op.addr;
    }
    if (on_submit_) {
      if (auto c = on_submit_(info)) {
        apply(op, std::move(*c));
        log_->completed.push_back(info.id);
        return true;
      }
    }
    op.waiting = true;
    in_flight_.push_back({&op, op.io.slot, info});
    return false;
  }

  void cancel(detail::IoOp& op) noexcept override {
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [&](const Entry& e) { return e.op == &op; });
    if (it == in_flight_.end() || it->info.cancel_requested) return;  // done, or asked already
    it->info.cancel_requested = true;
    ++log_->cancel_requests;
    if (cancel_mode_ == CancelMode::at_once) {
      deliver(static_cast<std::size_t>(it - in_flight_.begin()), canceled());
    }
  }

  Result<void> turn(std::optional<std::chrono::nanoseconds> timeout) override {
    ++turns_;
    bool completed = false;
    // Due completions, in the order they were scheduled (each may complete others' ops: no
    // iterators kept across deliver()).
    for (std::size_t i = 0; i < scheduled_.size();) {
      if (scheduled_[i].at_turn > turns_) {
        ++i;
        continue;
      }
      Scheduled s = std::move(scheduled_[i]);
      scheduled_.erase(scheduled_.begin() + static_cast<std::ptrdiff_t>(i));
      completed |= complete(s.id, std::move(s.completion));
    }
    if (cancel_mode_ == CancelMode::next_turn) {
      while (auto op = find([](const Op& o) { return o.cancel_requested; }))
        completed |= complete(op->id, canceled());
    }
    if (completed || !scheduled_.empty()) return {};  // later turns have work: no waiting
    if (!timeout) {
      if (in_flight_.empty()) return {};
      // Nothing will ever complete what is in flight: the test forgot a completion.
      return fail(std::make_error_code(std::errc::resource_deadlock_would_occur));
    }
    if (*timeout > std::chrono::nanoseconds(0)) std::this_thread::sleep_for(*timeout);
    return {};
  }

  [[nodiscard]] std::size_t pending() const noexcept override { return in_flight_.size(); }

 private:
  struct Entry {
    detail::IoOp* op;    // never read once its frame may be gone (see ~FakeDriver)
    std::uint32_t slot;  // the handle's
    Op info;
  };
  struct Slot {
    int fd;
    bool attached;
  };
  struct Scheduled {
    OpId id;
    std::uint64_t at_turn;
    Completion completion;
  };

  [[nodiscard]] std::optional<std::size_t> index_of(OpId id) const noexcept {
    for (std::size_t i = 0; i < in_flight_.size(); ++i)
      if (in_flight_[i].info.id == id) return i;
    return std::nullopt;
  }

  // Writes what the kernel would write into the operation (and so into its frame).
  static void apply(detail::IoOp& op, Completion c) noexcept {
    using K = detail::OpKind;
    if ((op.kind == K::recv || op.kind == K::recv_from) && c.result) {
      const std::size_t n = std::min(op.len, c.bytes.size());
      if (n > 0) std::memcpy(op.data, c.bytes.data(), n);
      c.result = n;
    }
    if ((op.kind == K::accept || op.kind == K::recv_from) && c.peer && op.addr) *op.addr = *c.peer;
    op.result = std::move(c.result);
  }

  // The operation at `index` completes: written into, out of flight, its task scheduled.
  void deliver(std::size_t index, Completion c) noexcept {
    detail::IoOp& op = *in_flight_[index].op;
    log_->completed.push_back(in_flight_[index].info.id);
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(index));
    apply(op, std::move(c));
    op.waiting = false;
    if (op.task->pending == &op) op.task->pending = nullptr;
    op.task->scheduler->schedule(*op.task);
  }

  std::vector<Entry> in_flight_;  // in submission order
  std::vector<Slot> slots_;
  std::vector<Scheduled> scheduled_;
  std::function<std::optional<Completion>(const Op&)> on_submit_;
  CancelMode cancel_mode_ = CancelMode::manual;
  OpId next_id_ = 1;
  std::shared_ptr<Log> log_ = std::make_shared<Log>();
};

// A runtime on a FakeDriver, and the driver (owned by the runtime).
struct FakeRuntime {
  FakeDriver* fake;
  Runtime rt;
};

inline FakeRuntime make_fake_runtime() {
  auto d = std::make_unique<FakeDriver>();
  FakeDriver* fake = d.get();
  return {fake, Runtime::with_driver(std::move(d))};
}

}  // namespace evq::rt::test
