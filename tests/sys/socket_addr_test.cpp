// SocketAddr parses and prints IPv4, IPv6 and Unix addresses, and round-trips through the OS.
#include <unistd.h>

#include <gtest/gtest.h>

#include "evq/error.hpp"
#include "evq/sys/socket.hpp"
#include "evq/sys/socket_addr.hpp"

namespace evq::sys {
namespace {

TEST(SocketAddr, ParsesAndPrintsIpv4) {
  auto a = SocketAddr::parse("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), AF_INET);
  EXPECT_EQ(a->port(), 8080);
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");
  EXPECT_EQ(*a, SocketAddr::ipv4({127, 0, 0, 1}, 8080));
}

TEST(SocketAddr, ParsesAndPrintsIpv6WithScope) {
  auto a = SocketAddr::parse("[::1]:443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), AF_INET6);
  EXPECT_EQ(a->port(), 443);
  EXPECT_EQ(a->to_string(), "[::1]:443");
  auto scoped = SocketAddr::parse("[fe80::1%2]:80");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->to_string(), "[fe80::1%2]:80");
}

TEST(SocketAddr, ParsesAndPrintsUnixPathsAbstractAndUnnamed) {
  auto p = SocketAddr::parse("unix:/tmp/evq.sock");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->family(), AF_UNIX);
  EXPECT_EQ(p->port(), 0);
  EXPECT_EQ(p->to_string(), "unix:/tmp/evq.sock");
  auto abstract = SocketAddr::parse("unix:@evq-abstract");
  ASSERT_TRUE(abstract);
  EXPECT_EQ(abstract->to_string(), "unix:@evq-abstract");
  auto unnamed = SocketAddr::parse("unix:");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->to_string(), "unix:");
}

TEST(SocketAddr, RejectsMalformedText) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:+80", "1.2.3:80", "256.0.0.1:80", "localhost:80", "[::1]",
                          "[::1]80", "::1:80", "[::1%x]:80", "[zz::1]:80", "127.0.0.1:80 "}) {
    auto a = SocketAddr::parse(bad);
    EXPECT_FALSE(a) << bad;
    if (!a) {
      EXPECT_EQ(a.error(), Errc::invalid_address) << bad;
    }
  }
  EXPECT_FALSE(SocketAddr::parse("unix:/" + std::string(200, 'x')));
  EXPECT_FALSE(SocketAddr::parse(std::string("unix:/a\0b", 9)));
}

TEST(SocketAddr, RoundTripsThroughTheKernel) {
  auto l = listen_on(*SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  auto local = local_addr(l->get());
  ASSERT_TRUE(local);
  EXPECT_NE(local->port(), 0);
  auto reparsed = SocketAddr::parse(local->to_string());
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(*reparsed, *local);
}

TEST(SocketAddr, UnixPathRoundTripsThroughTheKernel) {
  const std::string path = "/tmp/evq-addr-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  auto addr = SocketAddr::unix_path(path);
  ASSERT_TRUE(addr);
  auto l = listen_on(*addr);
  ASSERT_TRUE(l) << l.error().message();
  auto local = local_addr(l->get());
  ASSERT_TRUE(local);
  EXPECT_EQ(*local, *addr);  // equal by meaning, whatever length the kernel reports
  ::unlink(path.c_str());
}

TEST(SocketAddr, SetPortOnIpOnly) {
  auto a = SocketAddr::parse("10.0.0.1:1");
  a->set_port(9);
  EXPECT_EQ(a->to_string(), "10.0.0.1:9");
  auto u = SocketAddr::parse("unix:/x");
  u->set_port(9);
  EXPECT_EQ(u->to_string(), "unix:/x");
}

}  // namespace
}  // namespace evq::sys
