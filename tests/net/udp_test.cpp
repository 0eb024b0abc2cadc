// evq::net UDP on the runtime, on every poll backend.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "evq/error.hpp"
#include "evq/net/udp.hpp"
#include "evq/poll/poll.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "evq/sys/socket.hpp"

namespace evq::net {
namespace {

using namespace std::chrono_literals;
using rt::Task;

class Udp : public testing::TestWithParam<std::string_view> {
 protected:
  rt::Runtime runtime() {
    auto r = rt::Runtime::create({.backend = GetParam()});
    if (!r) throw std::system_error(r.error());
    return std::move(*r);
  }
};

const sys::SocketAddr kLoopback = *sys::SocketAddr::parse("127.0.0.1:0");
const sys::SocketAddr kLoopback6 = *sys::SocketAddr::parse("[::1]:0");

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The next datagram on `s` as text, or the error's message.
Task<std::string> recv_text(UdpSocket& s) {
  std::byte buf[2048];
  auto r = co_await s.recv_from(buf);
  if (!r) co_return "error: " + r.error().message();
  co_return text(std::span(buf, r->first));
}

Task<std::string> send_text(UdpSocket& s, std::string msg, sys::SocketAddr to) {
  auto n = co_await s.send_to(sys::bytes(msg), to);
  if (!n) co_return "error: " + n.error().message();
  co_return *n == msg.size() ? "" : "short send";
}

TEST_P(Udp, DatagramsRoundTripWithTheirBoundaries) {
  auto main = []() -> Task<std::vector<std::string>> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return std::vector<std::string>{"bind failed"};
    const std::vector<std::string> msgs = {"one", "two", std::string(1000, 'x'), "four"};
    for (const auto& m : msgs)
      EXPECT_EQ(co_await send_text(*a, m, *b->local_addr()), "");
    // b echoes each datagram to its sender; a collects the echoes.
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      std::byte buf[2048];
      auto r = co_await b->recv_from(buf);
      if (!r) co_return std::vector<std::string>{"recv_from: " + r.error().message()};
      auto n = co_await b->send_to(std::span(buf, r->first), r->second);
      EXPECT_TRUE(n);
    }
    std::vector<std::string> got;
    for (std::size_t i = 0; i < msgs.size(); ++i)
      got.push_back(co_await recv_text(*a));
    co_return got;
  };
  EXPECT_EQ(runtime().block_on(main()),
            (std::vector<std::string>{"one", "two", std::string(1000, 'x'), "four"}));
}

TEST_P(Udp, RecvFromReportsTheSendersAddress) {
  auto main = []() -> Task<bool> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return false;
    EXPECT_EQ(co_await send_text(*a, "hi", *b->local_addr()), "");
    std::byte buf[16];
    auto r = co_await b->recv_from(buf);
    if (!r) co_return false;
    EXPECT_EQ(r->second.to_string(), a->local_addr()->to_string());
    co_return r->second == *a->local_addr();
  };
  EXPECT_TRUE(runtime().block_on(main()));
}

TEST_P(Udp, RecvFromWaitsUntilADatagramArrives) {
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return "bind failed";
    bool sent = false;
    auto sender = rt::spawn([](UdpSocket& s, sys::SocketAddr to, bool& sent) -> Task<void> {
      co_await rt::sleep(20ms);
      sent = true;
      (void)co_await s.send_to(sys::bytes("late"), to);
    }(*a, *b->local_addr(), sent));
    auto got = co_await recv_text(*b);  // nothing to read yet: suspends
    EXPECT_TRUE(sent);
    (void)co_await sender;
    co_return got;
  };
  EXPECT_EQ(runtime().block_on(main()), "late");
}

// rt::timeout moves the awaiter it is given; the sender must still land in the moved one.
TEST_P(Udp, RecvFromUnderATimeoutReportsTheSender) {
  auto main = []() -> Task<bool> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return false;
    auto sender = rt::spawn([](UdpSocket& s, sys::SocketAddr to) -> Task<void> {
      co_await rt::sleep(10ms);
      (void)co_await s.send_to(sys::bytes("x"), to);
    }(*a, *b->local_addr()));
    std::byte buf[16];
    auto r = co_await rt::timeout(5s, b->recv_from(buf));
    (void)co_await sender;
    if (!r || !*r) co_return false;
    EXPECT_EQ((*r)->first, 1u);
    co_return (*r)->second == *a->local_addr();
  };
  EXPECT_TRUE(runtime().block_on(main()));
}

TEST_P(Udp, RecvFromTimesOutWhenNothingArrives) {
  auto main = []() -> Task<std::error_code> {
    auto b = UdpSocket::bind(kLoopback);
    if (!b) co_return b.error();
    std::byte buf[16];
    auto r = co_await rt::timeout(20ms, b->recv_from(buf));
    co_return r ? std::error_code() : r.error();
  };
  EXPECT_EQ(runtime().block_on(main()), Errc::timed_out);
}

TEST_P(Udp, ConnectedSocketsSendAndRecv) {
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return "bind failed";
    EXPECT_TRUE(a->connect(*b->local_addr()));
    EXPECT_TRUE(b->connect(*a->local_addr()));
    EXPECT_EQ(a->peer_addr(), b->local_addr());
    auto n = co_await a->send(sys::bytes("ping"));
    EXPECT_EQ(n, 4u);
    std::byte buf[16];
    auto r = co_await b->recv(buf);
    if (!r) co_return r.error().message();
    std::string got = text(std::span(buf, *r));
    (void)co_await b->send(sys::bytes("pong"));
    r = co_await a->recv(buf);
    if (!r) co_return r.error().message();
    co_return got + " " + text(std::span(buf, *r));
  };
  EXPECT_EQ(runtime().block_on(main()), "ping pong");
}

TEST_P(Udp, ConnectedSocketReceivesOnlyFromItsPeer) {
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback);
    auto peer = UdpSocket::bind(kLoopback);
    auto stranger = UdpSocket::bind(kLoopback);
    if (!a || !peer || !stranger) co_return "bind failed";
    EXPECT_TRUE(a->connect(*peer->local_addr()));
    EXPECT_EQ(co_await send_text(*stranger, "stray", *a->local_addr()), "");
    EXPECT_EQ(co_await send_text(*peer, "expected", *a->local_addr()), "");
    co_return co_await recv_text(*a);
  };
  EXPECT_EQ(runtime().block_on(main()), "expected");
}

TEST_P(Udp, OversizedDatagramIsTruncatedAndItsRestDiscarded) {
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return "bind failed";
    EXPECT_EQ(co_await send_text(*a, "0123456789", *b->local_addr()), "");
    EXPECT_EQ(co_await send_text(*a, "next", *b->local_addr()), "");
    std::byte small[4];
    auto r = co_await b->recv_from(small);
    if (!r) co_return r.error().message();
    EXPECT_EQ(r->first, sizeof(small));
    co_return text(std::span(small, r->first)) + "|" + co_await recv_text(*b);
  };
  EXPECT_EQ(runtime().block_on(main()), "0123|next");
}

TEST_P(Udp, AnEmptyDatagramIsReceivedAsZeroBytes) {
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return "bind failed";
    EXPECT_EQ(co_await send_text(*a, "", *b->local_addr()), "");
    EXPECT_EQ(co_await send_text(*a, "after", *b->local_addr()), "");
    auto first = co_await recv_text(*b);
    co_return "[" + first + "]" + co_await recv_text(*b);
  };
  EXPECT_EQ(runtime().block_on(main()), "[]after");
}

TEST_P(Udp, AbortingATaskBlockedInRecvFromCancelsItAndTheSocketStaysUsable) {
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback);
    auto b = UdpSocket::bind(kLoopback);
    if (!a || !b) co_return "bind failed";
    auto reader = rt::spawn([](UdpSocket& s) -> Task<Result<std::size_t>> {
      std::byte buf[16];
      auto r = co_await s.recv_from(buf);  // nothing will come
      if (!r) co_return fail(r.error());
      co_return r->first;
    }(*b));
    co_await rt::sleep(10ms);
    reader.abort();
    auto r = co_await reader;
    if (r) co_return "the reader was not cancelled";
    EXPECT_EQ(r.error(), Errc::cancelled);
    EXPECT_EQ(co_await send_text(*a, "after", *b->local_addr()), "");
    co_return co_await recv_text(*b);
  };
  EXPECT_EQ(runtime().block_on(main()), "after");
}

// Why ::1 cannot be used here, if that is because the host has no IPv6 (some containers).
std::optional<std::string> ipv6_unavailable() {
  auto fd = sys::socket(AF_INET6, SOCK_DGRAM);
  std::error_code ec = fd ? std::error_code() : fd.error();
  if (fd) {
    if (auto r = sys::bind(fd->get(), kLoopback6); !r) ec = r.error();
  }
  if (ec == std::errc::address_not_available || ec == std::errc::address_family_not_supported) {
    return ec.message();
  }
  return std::nullopt;
}

TEST_P(Udp, Ipv6LoopbackRoundTrip) {
  if (auto why = ipv6_unavailable()) GTEST_SKIP() << "no IPv6 loopback here: " << *why;
  auto main = []() -> Task<std::string> {
    auto a = UdpSocket::bind(kLoopback6);
    auto b = UdpSocket::bind(kLoopback6);
    if (!a || !b) co_return "bind: " + (a ? b : a).error().message();
    EXPECT_EQ(co_await send_text(*a, "over ipv6", *b->local_addr()), "");
    std::byte buf[64];
    auto r = co_await b->recv_from(buf);
    if (!r) co_return r.error().message();
    EXPECT_EQ(r->second.family(), AF_INET6);
    EXPECT_EQ(r->second, *a->local_addr());
    co_return text(std::span(buf, r->first));
  };
  EXPECT_EQ(runtime().block_on(main()), "over ipv6");
}

TEST_P(Udp, BindingAnAddressInUseIsAnErrorNamingBind) {
  auto main = []() -> Task<std::error_code> {
    auto a = UdpSocket::bind(kLoopback);
    if (!a) co_return a.error();
    auto b = UdpSocket::bind(*a->local_addr());
    co_return b ? std::error_code() : b.error();
  };
  auto ec = runtime().block_on(main());
  EXPECT_EQ(ec, std::errc::address_in_use);
  EXPECT_EQ(ec.message().rfind("bind: ", 0), 0u) << ec.message();
}

TEST(UdpOutsideRuntime, BindingOutsideATaskIsAClearError) {
  auto s = UdpSocket::bind(kLoopback);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), Errc::outside_runtime);
}

INSTANTIATE_TEST_SUITE_P(Backends, Udp, testing::ValuesIn(poll::backend_names()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace evq::net
