// The non-blocking socket helpers, over loopback.
#include <poll.h>

#include <gtest/gtest.h>

#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::sys {
namespace {

void wait_fd(int fd, short what) {
  pollfd p{fd, what, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
}

TEST(Socket, TcpConnectAcceptSendRecvShutdown) {
  auto l = listen_on(*SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l) << l.error().message();
  auto addr = local_addr(l->get());
  ASSERT_TRUE(addr);
  auto c = connect_to(*addr);
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(set_nodelay(c->get(), true));
  wait_fd(l->get(), POLLIN);
  auto a = accept(l->get());
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->second, *local_addr(c->get()));
  EXPECT_EQ(*peer_addr(c->get()), *addr);
  wait_fd(c->get(), POLLOUT);
  EXPECT_FALSE(*socket_error(c->get()));

  ASSERT_EQ(send(c->get(), bytes("hello")).value(), 5u);
  wait_fd(a->first.get(), POLLIN);
  std::byte buf[16];
  ASSERT_EQ(recv(a->first.get(), buf).value(), 5u);
  ASSERT_TRUE(sys::shutdown(c->get(), SHUT_WR));
  wait_fd(a->first.get(), POLLIN);
  ASSERT_EQ(recv(a->first.get(), buf).value(), 0u);
}

TEST(Socket, AcceptWithNothingPendingWouldBlock) {
  auto l = listen_on(*SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  auto a = accept(l->get());
  ASSERT_FALSE(a);
  EXPECT_TRUE(is_would_block(a.error()));
}

TEST(Socket, RefusedConnectIsReportedThroughSocketError) {
  SocketAddr addr;
  {
    auto l = listen_on(*SocketAddr::parse("127.0.0.1:0"));
    addr = *local_addr(l->get());
  }
  auto c = connect_to(addr);
  ASSERT_TRUE(c);
  wait_fd(c->get(), POLLOUT);
  auto err = socket_error(c->get());
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, std::errc::connection_refused);
  EXPECT_EQ(err->message(), "socket error: Connection refused");
}

TEST(Socket, BindingAPortInUseNamesBind) {
  auto l = listen_on(*SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  auto again = listen_on(*local_addr(l->get()));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::errc::address_in_use);
  EXPECT_EQ(again.error().message().rfind("bind: ", 0), 0u);
}

TEST(Socket, UdpSendToRecvFromOverIpv6Loopback) {
  auto a = socket(AF_INET6, SOCK_DGRAM);
  auto b = socket(AF_INET6, SOCK_DGRAM);
  ASSERT_TRUE(a && b);
  if (!bind(a->get(), *SocketAddr::parse("[::1]:0"))) GTEST_SKIP() << "no IPv6 loopback here";
  ASSERT_TRUE(bind(b->get(), *SocketAddr::parse("[::1]:0")));
  ASSERT_EQ(send_to(b->get(), bytes("dgram"), *local_addr(a->get())).value(), 5u);
  wait_fd(a->get(), POLLIN);
  std::byte buf[16];
  auto got = recv_from(a->get(), buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, 5u);
  EXPECT_EQ(got->second, *local_addr(b->get()));
}

TEST(Socket, SendToAClosedPeerFailsWithoutSigpipe) {
  auto pair = socketpair(SOCK_STREAM);
  ASSERT_TRUE(pair);
  pair->second.reset();
  auto r = send(pair->first.get(), bytes("x"));  // no SIGPIPE: the test would die
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::broken_pipe);
}

}  // namespace
}  // namespace evq::sys
