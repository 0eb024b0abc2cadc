// evq::net TCP on the runtime, on every poll backend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "evq/error.hpp"
#include "evq/net/tcp.hpp"
#include "evq/poll/poll.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "evq/rt/when.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::net {
namespace {

using namespace std::chrono_literals;
using rt::Task;

class Tcp : public testing::TestWithParam<std::string_view> {
 protected:
  rt::Runtime runtime() {
    auto r = rt::Runtime::create({.backend = GetParam()});
    if (!r) throw std::system_error(r.error());
    return std::move(*r);
  }
};

const sys::SocketAddr kAny = *sys::SocketAddr::parse("127.0.0.1:0");

Task<void> echo_one(TcpStream s) {
  std::byte buf[1024];
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) co_return;
    if (!co_await s.write_all(std::span(buf, *n))) co_return;
  }
}

Task<void> serve(TcpListener& l, int connections) {
  for (int i = 0; i < connections; ++i) {
    auto c = co_await l.accept();
    if (!c) co_return;
    rt::spawn(echo_one(std::move(c->first))).detach();
  }
}

Task<std::string> round_trip(sys::SocketAddr addr, std::string msg) {
  auto s = co_await TcpStream::connect(addr);
  if (!s) co_return "connect: " + s.error().message();
  if (auto w = co_await s->write_all(sys::bytes(msg)); !w) co_return w.error().message();
  std::string got;
  std::byte buf[4096];
  while (got.size() < msg.size()) {
    auto n = co_await s->read(buf);
    if (!n) co_return n.error().message();
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buf), *n);
  }
  co_return got;
}

TEST_P(Tcp, EchoRoundTripOverLoopback) {
  auto main = []() -> Task<std::string> {
    auto l = TcpListener::bind(kAny);
    if (!l) co_return l.error().message();
    auto server = rt::spawn(serve(*l, 1));
    auto got = co_await round_trip(*l->local_addr(), "hello evq");
    (void)co_await server;
    co_return got;
  };
  EXPECT_EQ(runtime().block_on(main()), "hello evq");
}

TEST_P(Tcp, ManyConcurrentConnectionsLargeMessages) {
  auto main = []() -> Task<int> {
    auto l = TcpListener::bind(kAny);
    if (!l) co_return -1;
    constexpr int kClients = 100;
    auto server = rt::spawn(serve(*l, kClients));
    const std::string big(256 * 1024, 'x');
    std::vector<rt::JoinHandle<std::string>> clients;
    for (int i = 0; i < kClients; ++i)
      clients.push_back(rt::spawn(round_trip(*l->local_addr(), big)));
    int ok = 0;
    for (auto& c : clients)
      ok += (*co_await c == big);
    (void)co_await server;
    co_return ok;
  };
  EXPECT_EQ(runtime().block_on(main()), 100);
}

TEST_P(Tcp, RefusedConnectIsAnError) {
  auto addr = [] {
    auto l = sys::listen_on(kAny);
    return *sys::local_addr(l->get());
  }();
  auto main = [](sys::SocketAddr addr) -> Task<std::error_code> {
    auto s = co_await TcpStream::connect(addr);
    co_return s ? std::error_code() : s.error();
  };
  EXPECT_EQ(runtime().block_on(main(addr)), std::errc::connection_refused);
}

TEST_P(Tcp, AbortingATaskBlockedInReadCancelsTheRead) {
  auto main = []() -> Task<bool> {
    auto l = TcpListener::bind(kAny);
    if (!l) co_return false;
    auto client = co_await TcpStream::connect(*l->local_addr());
    auto server_side = co_await l->accept();
    if (!client || !server_side) co_return false;
    auto reader = rt::spawn([](TcpStream& s) -> Task<Result<std::size_t>> {
      std::byte buf[16];
      co_return co_await s.read(buf);  // nothing will come
    }(server_side->first));
    co_await rt::sleep(10ms);
    reader.abort();
    auto r = co_await reader;
    co_return !r && r.error() == Errc::cancelled;
  };
  EXPECT_TRUE(runtime().block_on(main()));
}

TEST_P(Tcp, ReadSeesEndOfStreamAfterPeerShutdown) {
  auto main = []() -> Task<std::size_t> {
    auto l = TcpListener::bind(kAny);
    auto client = co_await TcpStream::connect(*l->local_addr());
    auto server_side = co_await l->accept();
    (void)client->shutdown_write();
    std::byte buf[16];
    auto n = co_await server_side->first.read(buf);
    co_return n ? *n : 999;
  };
  EXPECT_EQ(runtime().block_on(main()), 0u);
}

// A client that always has data for the server must not starve another connection: the
// server's reader completes reads at once, so only the task budget makes it yield.
TEST_P(Tcp, AFloodingConnectionDoesNotStarveTheOthers) {
  auto main = []() -> Task<std::chrono::milliseconds> {
    auto l = TcpListener::bind(kAny);
    auto addr = *l->local_addr();
    auto flooder = co_await TcpStream::connect(addr);
    auto flood_server = co_await l->accept();
    // Fill the server side's receive buffer, then keep it full from a raw blocking writer.
    bool stop = false;
    auto writer = rt::spawn([](TcpStream& s, bool& stop) -> Task<void> {
      std::vector<std::byte> chunk(64 * 1024);
      while (!stop) {
        if (!co_await s.write_all(chunk)) co_return;
      }
    }(*flooder, stop));
    auto sink = rt::spawn([](TcpStream& s, bool& stop) -> Task<void> {
      std::vector<std::byte> buf(64 * 1024);
      while (!stop) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) co_return;
      }
    }(flood_server->first, stop));
    co_await rt::sleep(20ms);  // the flood is on
    auto server = rt::spawn(serve(*l, 1));
    const auto t0 = std::chrono::steady_clock::now();
    auto got = co_await round_trip(addr, "ping");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    stop = true;
    writer.abort();
    sink.abort();
    (void)co_await writer;
    (void)co_await sink;
    (void)co_await server;
    EXPECT_EQ(got, "ping");
    co_return took;
  };
  EXPECT_LT(runtime().block_on(main()), 500ms);  // starved, it would wait for the flood to end
}

// Regression: readable() waited for the next edge even when the edge for data already in the
// socket had been delivered while nobody waited (a task between try_read and readable()), and
// the connection hung until its idle timeout.
TEST_P(Tcp, ReadableCompletesForDataWhoseEdgePassedWhileNobodyWaited) {
  auto main = []() -> Task<bool> {
    auto l = TcpListener::bind(kAny);
    auto client = co_await TcpStream::connect(*l->local_addr());
    auto server_side = co_await l->accept();
    (void)co_await client->write_all(sys::bytes("x"));
    co_await rt::sleep(20ms);  // the loop turns: the edge is delivered with no waiter
    auto r = co_await rt::timeout(2s, [](TcpStream& s) -> Task<Result<std::size_t>> {
      co_return co_await s.readable();
    }(server_side->first));
    co_return r&&* r;
  };
  EXPECT_TRUE(runtime().block_on(main()));
}

// The readiness tick: a wait after a would_block try sleeps until new data (no spurious wake
// that would make a read loop spin), and data whose edge came between the try and the wait
// completes it at once.
TEST_P(Tcp, ReadableAfterAWouldBlockTryWaitsForDataThatCameSinceTheTry) {
  auto main = []() -> Task<void> {
    auto l = TcpListener::bind(kAny);
    auto client = co_await TcpStream::connect(*l->local_addr());
    auto accepted = co_await l->accept();
    TcpStream& s = accepted->first;
    std::byte buf[16];
    auto none = s.try_read(buf);
    EXPECT_TRUE(!none && sys::is_would_block(none.error()));
    auto idle = co_await rt::timeout(30ms, s.readable());
    EXPECT_TRUE(!idle && idle.error() == Errc::timed_out);

    none = s.try_read(buf);
    EXPECT_TRUE(!none && sys::is_would_block(none.error()));
    (void)co_await client->write_all(sys::bytes("x"));
    co_await rt::sleep(20ms);  // its edge is delivered between the try and the wait
    const auto t0 = std::chrono::steady_clock::now();
    auto ready = co_await rt::timeout(2s, s.readable());
    EXPECT_TRUE(ready && *ready);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    auto got = s.try_read(buf);
    EXPECT_TRUE(got && *got == 1);
  };
  runtime().block_on(main());
}

// After a short read, the next try in the same turn says would_block without asking the kernel
// (the read that would return EAGAIN is skipped), and data that came meanwhile is not lost: its
// edge completes the next readable().
TEST_P(Tcp, AShortReadSkipsTheNextTryUntilTheNextEdge) {
  auto main = []() -> Task<void> {
    auto l = TcpListener::bind(kAny);
    auto client = co_await TcpStream::connect(*l->local_addr());
    auto accepted = co_await l->accept();
    TcpStream& s = accepted->first;
    (void)co_await client->write_all(sys::bytes("a"));
    std::byte buf[16];
    Result<std::size_t> got = fail(std::make_error_code(std::errc::timed_out));
    for (int i = 0; i < 100 && !(got = s.try_read(buf)); ++i)
      (void)co_await rt::timeout(2s, s.readable());
    EXPECT_TRUE(got && *got == 1);                      // short: the socket is drained
    (void)co_await client->write_all(sys::bytes("b"));  // arrives at once, same turn
    auto skipped = s.try_read(buf);
    EXPECT_TRUE(!skipped && sys::is_would_block(skipped.error()));
    auto ready = co_await rt::timeout(2s, s.readable());
    EXPECT_TRUE(ready && *ready);
    got = s.try_read(buf);
    EXPECT_TRUE(got && *got == 1 && buf[0] == std::byte{'b'});
  };
  runtime().block_on(main());
}

TEST_P(Tcp, UnixStreamEcho) {
  auto main = []() -> Task<std::string> {
    const std::string path = "/tmp/evq-net-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    auto addr = *sys::SocketAddr::unix_path(path);
    auto l = UnixListener::bind(addr);
    if (!l) co_return l.error().message();
    auto server = rt::spawn(serve(*l, 1));
    auto got = co_await round_trip(addr, "over a unix socket");
    (void)co_await server;
    ::unlink(path.c_str());
    co_return got;
  };
  EXPECT_EQ(runtime().block_on(main()), "over a unix socket");
}

TEST(TcpOutsideRuntime, BindingOutsideATaskIsAClearError) {
  auto l = TcpListener::bind(kAny);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), Errc::outside_runtime);
}

INSTANTIATE_TEST_SUITE_P(Backends, Tcp, testing::ValuesIn(poll::backend_names()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace evq::net
