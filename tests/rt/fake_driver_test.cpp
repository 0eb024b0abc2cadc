// The runtime on a FakeDriver (fake_driver.hpp): a completion-queue-like driver whose operations
// complete only when, in the order, and with the result the test says. Out-of-order completions,
// and cancellation as a request followed by a completion: abort, timeout and when_any must keep
// a frame (and the buffer the "kernel" writes into) alive until its operation has completed.
// Run under ASan: a frame freed too early is a heap-use-after-free at the completion.
// Inside coroutines, EXPECT_* then co_return: ASSERT_* would `return`, which coroutines cannot.
#include "fake_driver.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "counted.hpp"
#include "evq/error.hpp"
#include "evq/net/tcp.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "evq/rt/when.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::rt::test {
namespace {

using namespace std::chrono_literals;
using detail::OpKind;
using Clock = std::chrono::steady_clock;
using Op = FakeDriver::Op;

// Any fd will do: the fake never touches it.
sys::Fd any_fd() {
  return sys::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

FakeDriver& current_fake() {
  return static_cast<FakeDriver&>(detail::current_task->scheduler->driver());
}

// Lets the other tasks run (a loop turn each time) until `cond` holds; false after 10 s.
Task<bool> eventually(std::function<bool()> cond) {
  const auto give_up = Clock::now() + 10s;
  while (!cond()) {
    if (Clock::now() > give_up) co_return false;
    co_await yield_now();
  }
  co_return true;
}

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Reads once from `fd` (attached to the runtime's driver) into a buffer in this frame.
Task<Result<std::string>> read_once(sys::Fd fd, Counted) {
  auto socket = net::detail::Socket::attach(std::move(fd));
  if (!socket) co_return fail(socket.error());
  net::TcpStream stream(std::move(*socket));
  std::array<std::byte, 64> buf{};
  auto n = co_await stream.read(buf);
  if (!n) co_return fail(n.error());
  co_return text(std::span(buf).first(*n));
}

// Records, when its frame is freed, how many operations `fake` still had in flight.
struct FrameProbe {
  static inline FakeDriver* fake = nullptr;
  std::size_t* in_flight_at_free;
  ~FrameProbe() {
    if (fake && in_flight_at_free) *in_flight_at_free = fake->pending();
  }
};

// A recv on a raw handle (no socket in the frame, so nothing detaches when the frame is freed).
Task<void> raw_read(detail::IoHandle io, Counted, std::size_t* in_flight_at_free) {
  FrameProbe probe{in_flight_at_free};
  std::array<std::byte, 64> buf{};
  net::detail::OpAwaiter<net::detail::TakeResult> op(
      OpKind::recv, &detail::current_task->scheduler->driver(), io, buf.data(), buf.size(), {});
  (void)co_await op;
}

// The "kernel": waits for an operation that matches, completes it, and says which it was.
Task<std::optional<Op>> complete_next(FakeDriver& fake, std::function<bool(const Op&)> match,
                                      FakeDriver::Completion c) {
  std::optional<Op> op;
  const bool seen = co_await eventually([&] { return (op = fake.find(match)).has_value(); });
  EXPECT_TRUE(seen) << "no such operation was submitted";
  if (seen) fake.complete(op->id, std::move(c));
  co_return op;
}

std::function<bool(const Op&)> kind_is(OpKind k) {
  return [k](const Op& op) { return op.kind == k; };
}

// ---- completions late and out of order

TEST(OnFakeDriver, ReadsCompleteOutOfOrderAcrossTasks) {
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    sys::Fd a = any_fd();
    sys::Fd b = any_fd();
    const int fa = a.get();
    const int fb = b.get();
    std::vector<char> finished;
    auto reader = [](sys::Fd fd, char name, std::vector<char>& finished) -> Task<std::string> {
      auto r = co_await read_once(std::move(fd), Counted{});
      finished.push_back(name);
      co_return r ? *r : "error: " + r.error().message();
    };
    auto ha = spawn(reader(std::move(a), 'A', finished));
    auto hb = spawn(reader(std::move(b), 'B', finished));
    const bool both = co_await eventually([&] { return fake.pending() == 2; });
    EXPECT_TRUE(both);
    if (!both) co_return;
    auto op_a = fake.find(OpKind::recv, fa);
    auto op_b = fake.find(OpKind::recv, fb);
    EXPECT_TRUE(op_a && op_b);
    if (!op_a || !op_b) co_return;
    EXPECT_LT(op_a->id, op_b->id);                     // A submitted first...
    fake.complete(op_b->id, FakeDriver::data("bee"));  // ...B completes first
    co_await yield_now();
    EXPECT_EQ(finished, std::vector<char>{'B'});
    fake.complete(op_a->id, FakeDriver::data("ay"));
    auto ra = co_await ha;
    auto rb = co_await hb;
    EXPECT_EQ(ra.value_or("cancelled"), "ay");
    EXPECT_EQ(rb.value_or("cancelled"), "bee");
    EXPECT_EQ(finished, (std::vector<char>{'B', 'A'}));
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.fake->pending(), 0u);
}

TEST(OnFakeDriver, ReadsCompletedInReverseEachLandInTheirOwnBuffer) {
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    constexpr int kReaders = 8;
    std::vector<int> fds;
    std::vector<JoinHandle<Result<std::string>>> hs;
    for (int i = 0; i < kReaders; ++i) {
      sys::Fd fd = any_fd();
      fds.push_back(fd.get());
      hs.push_back(spawn(read_once(std::move(fd), Counted{})));
    }
    const bool all = co_await eventually([&] { return fake.pending() == kReaders; });
    EXPECT_TRUE(all);
    if (!all) co_return;
    std::vector<FakeDriver::OpId> order;
    fake.complete_all_in_reverse([&](const Op& op) {
      order.push_back(op.id);
      return FakeDriver::data("fd " + std::to_string(op.fd));
    });
    EXPECT_TRUE(std::is_sorted(order.rbegin(), order.rend()));
    for (int i = 0; i < kReaders; ++i) {
      auto r = co_await hs[i];
      EXPECT_EQ(r && *r ? **r : "error", "fd " + std::to_string(fds[i]));
    }
  };
  f.rt.block_on(main(*f.fake));
}

TEST(OnFakeDriver, ACompletionScheduledForALaterTurnArrivesInThatTurn) {
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto h = spawn(read_once(any_fd(), Counted{}));
    const bool submitted = co_await eventually([&] { return fake.pending() == 1; });
    EXPECT_TRUE(submitted);
    if (!submitted) co_return;
    const FakeDriver::OpId id = fake.ops()[0].id;
    const std::uint64_t t0 = fake.turns();
    fake.complete_at_turn(id, FakeDriver::data("later"), 3);
    while (fake.in_flight(id))
      co_await yield_now();  // only this task runs: one turn per iteration
    EXPECT_EQ(fake.turns(), t0 + 3);
    auto r = co_await h;
    EXPECT_TRUE(r && *r && **r == "later");
  };
  f.rt.block_on(main(*f.fake));
}

TEST(OnFakeDriver, ASubmitConfiguredToCompleteAtOnceDoesNotSuspend) {
  auto f = make_fake_runtime();
  f.fake->on_submit([](const Op& op) -> std::optional<FakeDriver::Completion> {
    if (op.kind == OpKind::recv) return FakeDriver::data("now");
    return std::nullopt;
  });
  auto main = []() -> Task<Result<std::string>> {
    const std::uint64_t t0 = current_fake().turns();
    auto r = co_await read_once(any_fd(), Counted{});
    EXPECT_EQ(current_fake().turns(), t0);  // no loop turn in between
    co_return r;
  };
  auto r = f.rt.block_on(main());
  EXPECT_TRUE(r && *r == "now");
  EXPECT_EQ(f.fake->log()->submitted, 1u);
}

TEST(OnFakeDriver, AReadNothingWillEverCompleteIsReportedInsteadOfHanging) {
  auto f = make_fake_runtime();
  auto main = []() -> Task<void> { (void)co_await read_once(any_fd(), Counted{}); };
  std::error_code error;
  try {
    f.rt.block_on(main());
  } catch (const std::system_error& e) {
    error = e.code();
  }
  EXPECT_EQ(error, std::errc::resource_deadlock_would_occur);
  // The read is still in flight; let shutdown complete its cancellation before it frees the frame
  // (see the Shutdown tests below for why that matters).
  f.fake->set_cancel_mode(FakeDriver::CancelMode::at_once);
}

// ---- abort: a request, then a completion

TEST(OnFakeDriver, AbortWaitsForTheDriverToCompleteTheCancelledRead) {
  Counted::reset();
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto h = spawn(read_once(any_fd(), Counted{}));
    const bool submitted = co_await eventually([&] { return fake.pending() == 1; });
    EXPECT_TRUE(submitted);
    if (!submitted) co_return;
    const FakeDriver::OpId id = fake.ops()[0].id;
    EXPECT_EQ(Counted::alive, 1);
    h.abort();
    EXPECT_TRUE(fake.ops()[0].cancel_requested);
    for (int i = 0; i < 20; ++i)
      co_await yield_now();  // turns go by: the "kernel" still owns the read
    co_await sleep(5ms);     // and a timer wait (the fake sleeps in turn())
    EXPECT_FALSE(h.is_finished()) << "the handle resolved before the read completed";
    EXPECT_EQ(Counted::alive, 1) << "the frame was freed while its read was in flight";
    EXPECT_TRUE(fake.in_flight(id));
    fake.complete(id, FakeDriver::canceled());
    auto r = co_await h;
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    EXPECT_EQ(Counted::alive, 0);
    for (int i = 0; i < 5; ++i)
      co_await yield_now();
    EXPECT_EQ(Counted::alive, 0);  // freed once (a second destroy would go negative, or ASan)
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.rt.live_tasks(), 0u);
  EXPECT_EQ(f.fake->log()->cancel_requests, 1u);
}

TEST(OnFakeDriver, AbortStillCancelsWhenTheReadCompletesWithDataAfterTheRequest) {
  Counted::reset();
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto h = spawn(read_once(any_fd(), Counted{}));
    const bool submitted = co_await eventually([&] { return fake.pending() == 1; });
    EXPECT_TRUE(submitted);
    if (!submitted) co_return;
    const FakeDriver::OpId id = fake.ops()[0].id;
    h.abort();
    for (int i = 0; i < 5; ++i)
      co_await yield_now();
    EXPECT_TRUE(fake.in_flight(id)) << "completed by something else than the driver";
    // The cancel lost the race: the read completes with real bytes, written into the frame.
    fake.complete(id, FakeDriver::data("raced in"));
    auto r = co_await h;
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    EXPECT_EQ(Counted::alive, 0);
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.rt.live_tasks(), 0u);
  EXPECT_EQ(f.fake->pending(), 0u);
}

TEST(OnFakeDriver, ACancelInNextTurnModeCompletesAtTheFollowingTurn) {
  Counted::reset();
  auto f = make_fake_runtime();
  f.fake->set_cancel_mode(FakeDriver::CancelMode::next_turn);
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto h = spawn(read_once(any_fd(), Counted{}));
    const bool submitted = co_await eventually([&] { return fake.pending() == 1; });
    EXPECT_TRUE(submitted);
    if (!submitted) co_return;
    const FakeDriver::OpId id = fake.ops()[0].id;
    h.abort();
    EXPECT_TRUE(fake.in_flight(id));
    EXPECT_FALSE(h.is_finished());
    co_await yield_now();  // one turn
    EXPECT_FALSE(fake.in_flight(id));
    auto r = co_await h;
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    EXPECT_EQ(Counted::alive, 0);
  };
  f.rt.block_on(main(*f.fake));
}

// ---- timeout and when_any: losers are cancelled and waited for

// Completes the read on `fd` with operation_canceled once its cancellation was requested, after
// checking for a while that nothing moved on without it (`returned` still false, `alive` Counted
// frames still alive).
Task<void> complete_cancel_later(FakeDriver& fake, int fd, const bool& returned, int alive) {
  std::optional<Op> op;
  const bool requested = co_await eventually([&] {
    op = fake.find(OpKind::recv, fd);
    return op && op->cancel_requested;
  });
  EXPECT_TRUE(requested);
  if (!requested) co_return;
  for (int i = 0; i < 20; ++i)
    co_await yield_now();
  EXPECT_FALSE(returned) << "returned before the cancelled read completed";
  EXPECT_EQ(Counted::alive, alive) << "the cancelled read's frame was freed while in flight";
  fake.complete(op->id, FakeDriver::canceled());
}

TEST(OnFakeDriver, TimeoutReturnsOnlyOnceTheCancelledReadCompleted) {
  Counted::reset();
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    sys::Fd fd = any_fd();
    const int fdn = fd.get();
    bool returned = false;
    auto kernel = spawn(complete_cancel_later(fake, fdn, returned, 1));
    auto reader = read_once(std::move(fd), Counted{});
    const auto t0 = Clock::now();
    auto r = co_await timeout(20ms, std::move(reader));
    returned = true;
    EXPECT_GE(Clock::now() - t0, 20ms);
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
    EXPECT_EQ(Counted::alive, 0);  // the inner frames are gone before timeout returned
    EXPECT_EQ(fake.pending(), 0u);
    EXPECT_EQ(fake.log()->completed.size(), 1u);
    (void)co_await kernel;
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.rt.live_tasks(), 0u);
}

TEST(OnFakeDriver, TimeoutOfASingleReadReturnsOnlyOnceItsCancellationCompleted) {
  Counted::reset();
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto socket = net::detail::Socket::attach(any_fd());
    EXPECT_TRUE(socket);
    if (!socket) co_return;
    net::TcpStream stream(std::move(*socket));
    bool returned = false;
    auto kernel = spawn(complete_cancel_later(fake, stream.fd(), returned, 0));
    std::array<std::byte, 16> buf{};
    auto r = co_await timeout(20ms, stream.read(buf));
    returned = true;
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
    EXPECT_EQ(fake.pending(), 0u);
    (void)co_await kernel;
  };
  f.rt.block_on(main(*f.fake));
}

TEST(OnFakeDriver, WhenAnyGivesTheWinnerAndWaitsForTheCancelledLoser) {
  Counted::reset();
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    sys::Fd a = any_fd();
    sys::Fd b = any_fd();
    const int fa = a.get();
    const int fb = b.get();
    bool returned = false;
    auto kernel = [](FakeDriver& fake, int fa, int fb, const bool& returned) -> Task<void> {
      const bool both = co_await eventually([&] { return fake.pending() == 2; });
      EXPECT_TRUE(both);
      if (!both) co_return;
      fake.complete(fake.find(OpKind::recv, fb)->id, FakeDriver::data("win"));
      co_await complete_cancel_later(fake, fa, returned, 1);
    };
    auto k = spawn(kernel(fake, fa, fb, returned));
    auto first = read_once(std::move(a), Counted{});
    auto second = read_once(std::move(b), Counted{});
    auto r = co_await when_any(std::move(first), std::move(second));
    returned = true;
    EXPECT_EQ(r.first, 1u);
    EXPECT_EQ(r.second.value_or("error"), "win");
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(fake.pending(), 0u);
    (void)co_await k;
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.rt.live_tasks(), 0u);
}

// ---- shutdown with operations in flight

struct Shutdown {
  std::shared_ptr<const FakeDriver::Log> log;
  std::size_t in_flight_at_free = 99;  // when the reading task's frame was freed
};

// Destroys a runtime on a fake in `mode` while a detached task waits in a read (on a raw handle:
// no socket in the frame, so nothing else completes the read as the frame goes).
Shutdown shut_down_with_a_read_in_flight(FakeDriver::CancelMode mode) {
  Counted::reset();
  Shutdown out;
  sys::Fd fd = any_fd();
  {
    auto f = make_fake_runtime();
    f.fake->set_cancel_mode(mode);
    FrameProbe::fake = f.fake;
    out.log = f.fake->log();
    auto io = f.fake->attach(fd.get());
    EXPECT_TRUE(io);
    if (!io) return out;
    auto main = [](detail::IoHandle io, std::size_t* at_free) -> Task<bool> {
      spawn(raw_read(io, Counted{}, at_free)).detach();
      co_return co_await eventually([] { return current_fake().pending() == 1; });
    };
    EXPECT_TRUE(f.rt.block_on(main(*io, &out.in_flight_at_free)));
    EXPECT_EQ(Counted::alive, 1);
  }
  FrameProbe::fake = nullptr;
  EXPECT_EQ(Counted::alive, 0);  // freed, either way
  EXPECT_EQ(out.log->cancel_requests, 1u);
  return out;
}

TEST(OnFakeDriver, ShutdownFreesEveryFrameOnceCancellationsThatCompleteAtOnceDid) {
  auto s = shut_down_with_a_read_in_flight(FakeDriver::CancelMode::at_once);
  EXPECT_EQ(s.in_flight_at_free, 0u);
  EXPECT_EQ(s.log->completed.size(), 1u);
  EXPECT_EQ(s.log->in_flight_at_destruction, 0u);
}

// Regression: ~Scheduler freed frames right after requesting their cancellation, while a
// completion driver could still write into them. It now turns the driver until they completed.
TEST(OnFakeDriver, ShutdownWaitsForCancellationsToCompleteBeforeFreeingFrames) {
  auto s = shut_down_with_a_read_in_flight(FakeDriver::CancelMode::next_turn);
  EXPECT_EQ(s.in_flight_at_free, 0u) << "a frame was freed while its read was in flight";
  EXPECT_EQ(s.log->completed.size(), 1u);
  EXPECT_EQ(s.log->in_flight_at_destruction, 0u);
}

// Regression, the same bug as it bit a real program: each frame's socket detaches as the frame
// is destroyed, and detach completes the socket's operations still in flight (the Driver
// contract). That completion schedule()d a task whose root frame was being freed; the second
// such task then linked itself behind the first, freed, header (ASan: heap-use-after-free in
// Scheduler::schedule from ~Scheduler). Now the cancellations complete first, and nothing is
// queued once frames are being freed.
TEST(OnFakeDriver, ShutdownWithASocketInEachWaitingFrameTouchesNoFreedMemory) {
  Counted::reset();
  {
    auto f = make_fake_runtime();
    f.fake->set_cancel_mode(FakeDriver::CancelMode::next_turn);
    auto main = []() -> Task<void> {
      spawn(read_once(any_fd(), Counted{})).detach();
      spawn(read_once(any_fd(), Counted{})).detach();
      (void)co_await eventually([] { return current_fake().pending() == 2; });
    };
    f.rt.block_on(main());
  }
  EXPECT_EQ(Counted::alive, 0);
}

// ---- TcpListener and TcpStream on the fake

TEST(OnFakeDriver, AcceptGivesTheConnectionTheDriverCompletedItWith) {
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto listener = net::TcpListener::bind(sys::SocketAddr::ipv4({127, 0, 0, 1}, 0));
    auto pair = sys::socketpair(SOCK_STREAM);
    EXPECT_TRUE(listener && pair);
    if (!listener || !pair) co_return;
    const int given = pair->first.get();
    const auto peer = sys::SocketAddr::ipv4({10, 1, 2, 3}, 4567);
    auto accepting = spawn(listener->accept());
    auto op = co_await complete_next(fake, kind_is(OpKind::accept),
                                     FakeDriver::accepted(pair->first.release(), peer));
    auto conn = co_await accepting;
    EXPECT_TRUE(op && conn && *conn);
    if (!op || !conn || !*conn) co_return;
    net::TcpStream stream = std::move((*conn)->first);
    EXPECT_EQ(stream.fd(), given);
    EXPECT_EQ((*conn)->second, peer);

    auto recv_done = spawn(complete_next(fake, kind_is(OpKind::recv), FakeDriver::data("hello")));
    std::array<std::byte, 32> buf{};
    auto n = co_await stream.read(buf);
    EXPECT_TRUE(n && text(std::span(buf).first(*n)) == "hello");
    (void)co_await recv_done;

    const std::string out = "response";
    auto send_done = spawn(complete_next(fake, kind_is(OpKind::send), FakeDriver::value(3)));
    auto sent = co_await stream.write(std::as_bytes(std::span(out)));
    EXPECT_TRUE(sent && *sent == 3u);  // a short write, as the driver said
    auto send_op = co_await send_done;
    EXPECT_TRUE(send_op && *send_op && (*send_op)->len == out.size() && (*send_op)->fd == given);
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.fake->pending(), 0u);
}

TEST(OnFakeDriver, AnAcceptThatCompletesAfterItsCancelRequestClosesTheConnection) {
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    auto listener = net::TcpListener::bind(sys::SocketAddr::ipv4({127, 0, 0, 1}, 0));
    auto pair = sys::socketpair(SOCK_STREAM);
    EXPECT_TRUE(listener && pair);
    if (!listener || !pair) co_return;
    auto accepting = spawn(listener->accept());
    std::optional<Op> op;
    const bool submitted =
        co_await eventually([&] { return (op = fake.find(kind_is(OpKind::accept))).has_value(); });
    EXPECT_TRUE(submitted);
    if (!submitted) co_return;
    accepting.abort();
    for (int i = 0; i < 5; ++i)
      co_await yield_now();
    EXPECT_TRUE(fake.in_flight(op->id));
    // The cancel lost the race: a connection was accepted for a task that is gone.
    fake.complete(op->id, FakeDriver::accepted(pair->first.release(),
                                               sys::SocketAddr::ipv4({10, 0, 0, 1}, 1)));
    auto r = co_await accepting;
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    // Closed, not leaked: the other end sees the end of the stream.
    std::array<std::byte, 1> b{};
    auto eof = sys::recv(pair->second.get(), b);
    EXPECT_TRUE(eof && *eof == 0u) << (eof ? "got data" : eof.error().message());
  };
  f.rt.block_on(main(*f.fake));
}

TEST(OnFakeDriver, ConnectGivesTheResultTheDriverCompletedItWith) {
  auto f = make_fake_runtime();
  auto main = [](FakeDriver& fake) -> Task<void> {
    const auto target = sys::SocketAddr::ipv4({127, 0, 0, 1}, 9);
    auto connecting = spawn(net::TcpStream::connect(target));
    auto op = co_await complete_next(fake, kind_is(OpKind::connect), FakeDriver::value(0));
    auto r = co_await connecting;
    EXPECT_TRUE(op && op->target == target);
    EXPECT_TRUE(r && *r && (*r)->fd() >= 0);

    auto refused = spawn(net::TcpStream::connect(target));
    (void)co_await complete_next(fake, kind_is(OpKind::connect),
                                 FakeDriver::error(sys::os_error(ECONNREFUSED, sys::Op::connect)));
    auto e = co_await refused;
    EXPECT_TRUE(e && !*e && e->error() == std::errc::connection_refused);
  };
  f.rt.block_on(main(*f.fake));
  EXPECT_EQ(f.fake->pending(), 0u);
}

}  // namespace
}  // namespace evq::rt::test
