#include "util.hpp"

#include <poll.h>

namespace evq::test {

sys::Fd tcp_listener() {
  auto addr = sys::SocketAddr::parse("127.0.0.1:0");
  auto l = sys::listen_on(*addr);
  EXPECT_TRUE(l) << l.error().message();
  return l ? std::move(*l) : sys::Fd();
}

TcpPair tcp_pair() {
  sys::Fd listener = tcp_listener();
  auto addr = sys::local_addr(listener.get());
  EXPECT_TRUE(addr);
  auto client = sys::connect_to(*addr);
  EXPECT_TRUE(client) << client.error().message();
  // The listener is blocking-free: wait for the connection to be acceptable.
  pollfd p{listener.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 2000), 1);
  auto accepted = sys::accept(listener.get());
  EXPECT_TRUE(accepted) << accepted.error().message();
  // Let the client's side finish connecting too.
  pollfd c{client->get(), POLLOUT, 0};
  EXPECT_EQ(::poll(&c, 1, 2000), 1);
  return {std::move(*client), std::move(accepted->first)};
}

void send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    auto n = sys::send(fd, sys::bytes(s));
    if (!n && sys::is_would_block(n.error())) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    ASSERT_TRUE(n) << n.error().message();
    s.remove_prefix(*n);
  }
}

std::pair<std::string, bool> drain(poll::Source& source) {
  std::string out;
  for (;;) {
    char buf[4096];
    auto n =
        source.do_io(Interest::READABLE, [&](int fd) { return sys::read(fd, buf, sizeof(buf)); });
    if (!n) {
      EXPECT_TRUE(sys::is_would_block(n.error())) << n.error().message();
      return {out, false};
    }
    if (*n == 0) return {out, true};
    out.append(buf, *n);
  }
}

}  // namespace evq::test
