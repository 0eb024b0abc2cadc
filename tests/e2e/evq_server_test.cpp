// End to end: the real `evq delay-server` and `evq echo-server` on port 0, talked to over
// loopback with plain blocking sockets (an oracle independent of evq), on every backend.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cstring>
#include <filesystem>
#include <regex>
#include <thread>

#include "child.hpp"
#include "evq/net/tcp.hpp"
#include "evq/poll/poll.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/sys/socket.hpp"
#include "server_client.hpp"

namespace evq::test {
namespace {

TEST_P(EvqServer, DelayServerAnswersAfterTheDelayAndPrintsTheLine) {
  auto s = delay();
  const auto t0 = Clock::now();
  auto r = get(s.port, "GET /300/hello%20there HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_GE(Clock::now() - t0, 300ms);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r), "hello there");
  s.child->read_until(
      [](const std::string& o) { return o.find("#1 - 300ms: hello there") != o.npos; },
      Clock::now() + 2s);
  EXPECT_NE(s.child->output().find("#1 - 300ms: hello there\n"), std::string::npos)
      << s.child->output();
}

TEST_P(EvqServer, StatusesForBadRequests) {
  auto s = delay();
  EXPECT_EQ(status_of(get(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
  EXPECT_EQ(status_of(get(s.port, "GET /abc/x HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(status_of(get(s.port, "GET /99999999999/x HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
  auto post = get(s.port, "POST /1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status_of(post), 405);
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
  EXPECT_EQ(status_of(get(s.port, "GARBAGE\r\n\r\n")), 400);
  EXPECT_EQ(status_of(get(s.port, "GET /1/x HTTP/2.0\r\nHost: x\r\n\r\n")), 505);
  EXPECT_EQ(status_of(get(s.port, "GET /1/x HTTP/1.1\r\n\r\n")), 400);  // no Host
  const int fd = connect_to(s.port);
  send_str(fd, "HEAD /0/abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string head = read_all(fd);  // headers only: no body follows
  ::close(fd);
  EXPECT_EQ(status_of(head), 200);
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
  EXPECT_NE(head.find("Content-Length: 3"), std::string::npos);
}

TEST_P(EvqServer, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  auto s = delay();
  const int fd = connect_to(s.port);
  send_str(fd,
           "GET /100/first HTTP/1.1\r\nHost: x\r\n\r\nGET /0/second HTTP/1.1\r\nHost: x\r\n\r\n");
  auto rs = read_responses(fd, 2);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(body_of(rs[0]), "first");
  EXPECT_EQ(body_of(rs[1]), "second");
  // Still open (keep-alive): a third request on the same connection.
  send_str(fd, "GET /0/third HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r3 = read_responses(fd, 1);
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_EQ(body_of(r3[0]), "third");
  ::close(fd);
}

TEST_P(EvqServer, ConnectionCloseClosesAfterTheResponse) {
  auto s = delay();
  const int fd = connect_to(s.port);
  send_str(fd, "GET /0/bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string all = read_all(fd);  // returns only when the server closed
  EXPECT_EQ(body_of(all), "bye");
  ::close(fd);
}

// Closing a socket that still holds unread bytes makes the kernel send RST instead of FIN, and a
// client may then lose the answer (RFC 9112 9.6). The server closes in stages: FIN after the
// answer, then it reads and drops what still arrives until the client closes. So the client sees
// the answer and then a clean end of stream, not a reset: after a `Connection: close` request
// followed by more bytes, and after an error answered while the client was still sending.
TEST_P(EvqServer, ClosingWithUnreadBytesEndsWithFinNotReset) {
  auto s = delay();
  const std::string body(1 << 20, 'x');
  const std::string too_large =
      "POST /0/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + body;
  // 1: more bytes arrive while a `Connection: close` request is being delayed; 2: a 413 answered
  // while a mebibyte of the body it refuses is on its way.
  for (int round = 0; round < 2; ++round) {
    const int fd = connect_to(s.port);
    if (round == 0) {
      send_str(fd, "GET /300/bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      std::this_thread::sleep_for(100ms);
      send_str(fd, "GET /0/more HTTP/1.1\r\n");  // unread when the answer goes out
    } else {
      send_str(fd, too_large);
    }
    std::this_thread::sleep_for(500ms);  // the answer and the close have happened
    std::string got;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0)
      got.append(buf, static_cast<std::size_t>(n));
    const int err = n < 0 ? errno : 0;
    ::close(fd);
    EXPECT_EQ(n, 0) << "round " << round << " ended with " << std::strerror(err)
                    << " after: " << got;
    EXPECT_EQ(status_of(got), round == 0 ? 200 : 413) << got;
  }
}

TEST_P(EvqServer, RequestSentOneByteAtATime) {
  auto s = delay();
  const int fd = connect_to(s.port);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  for (char c : std::string("GET /0/slow HTTP/1.1\r\nHost: x\r\n\r\n")) {
    send_str(fd, std::string_view(&c, 1));
    std::this_thread::sleep_for(1ms);
  }
  auto rs = read_responses(fd, 1);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(body_of(rs[0]), "slow");
  ::close(fd);
}

TEST_P(EvqServer, FiveThousandConcurrentDelayedRequestsAllAnswered) {
  rlimit lim;
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ASSERT_GE(lim.rlim_cur, 5200u) << "needs 5,200 fds";
  auto s = delay({"--quiet"});
  auto rt = rt::Runtime::create();
  ASSERT_TRUE(rt);
  auto one = [](std::uint16_t port, int i) -> rt::Task<bool> {
    auto c = co_await net::TcpStream::connect(sys::SocketAddr::ipv4({127, 0, 0, 1}, port));
    if (!c) co_return false;
    const std::string req =
        "GET /500/r" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (!co_await c->write_all(sys::bytes(req))) co_return false;
    std::string got;
    std::byte buf[512];
    for (;;) {
      auto n = co_await c->read(buf);
      if (!n) co_return false;
      if (*n == 0) break;
      got.append(reinterpret_cast<const char*>(buf), *n);
    }
    co_return got.ends_with("\r\n\r\nr" + std::to_string(i));
  };
  auto all = [&](std::uint16_t port) -> rt::Task<int> {
    std::vector<rt::JoinHandle<bool>> hs;
    for (int i = 0; i < 5000; ++i)
      hs.push_back(rt::spawn(one(port, i)));
    int ok = 0;
    for (auto& h : hs)
      ok += (co_await h).value_or(false);
    co_return ok;
  };
  const auto t0 = Clock::now();
  EXPECT_EQ(rt->block_on(all(s.port)), 5000);
  EXPECT_LT(Clock::now() - t0, 20s);  // concurrent: about the delay plus the connection ramp
}

// --threads N: N share-nothing loops on SO_REUSEPORT listeners. Every request is answered (and
// counted once on the console) whichever loop accepted it; a signal stops every loop.
TEST_P(EvqServer, ThreadsServeFromSeveralLoopsAndAllStopOnTheSignal) {
  auto s = delay({"--threads", "3", "--grace", "5"});
  std::size_t threads = 0;
  for (int i = 0; i < 50 && threads < 3; ++i, std::this_thread::sleep_for(20ms)) {
    threads = static_cast<std::size_t>(std::distance(
        std::filesystem::directory_iterator("/proc/" + std::to_string(s.child->pid()) + "/task"),
        std::filesystem::directory_iterator()));
  }
  EXPECT_EQ(threads, 3u);
  std::vector<int> fds;
  for (int i = 0; i < 60; ++i) {
    fds.push_back(connect_to(s.port));
    send_str(fds.back(), "GET /300/m" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  const auto t0 = Clock::now();
  for (int i = 0; i < 60; ++i) {
    auto rs = read_responses(fds[static_cast<std::size_t>(i)], 1);
    EXPECT_TRUE(rs.size() == 1 && body_of(rs[0]) == "m" + std::to_string(i));
  }
  EXPECT_LT(Clock::now() - t0, 5s);  // concurrently, not one after the other
  const int in_flight = connect_to(s.port);
  send_str(in_flight, "GET /500/last HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  s.child->signal(SIGTERM);
  auto last = read_responses(in_flight, 1);
  EXPECT_TRUE(last.size() == 1 && body_of(last[0]) == "last");
  for (int fd : fds)
    EXPECT_EQ(read_all(fd), "");  // idle keep-alive connections closed, on every loop
  const auto status = s.child->wait(Clock::now() + 5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(status);
  s.child->read_to_eof(Clock::now() + 2s);
  const std::string out = s.child->output();
  for (int i = 1; i <= 61; ++i) {
    EXPECT_NE(out.find("#" + std::to_string(i) + " - "), std::string::npos) << i;
  }
  EXPECT_EQ(out.find("#62 - "), std::string::npos);
  for (int fd : fds)
    ::close(fd);
  ::close(in_flight);
}

TEST_P(EvqServer, GracefulShutdownFinishesInFlightRequestsAndClosesIdleOnes) {
  auto s = delay({"--grace", "5"});
  const int idle = connect_to(s.port);  // a keep-alive connection with no request
  const int busy = connect_to(s.port);
  send_str(busy, "GET /600/finished HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  s.child->signal(SIGTERM);
  auto rs = read_responses(busy, 1);
  ASSERT_EQ(rs.size(), 1u) << "the in-flight request was dropped";
  EXPECT_EQ(body_of(rs[0]), "finished");
  EXPECT_EQ(read_all(idle), "");  // closed by the server, not left hanging
  const auto status = s.child->wait(Clock::now() + 5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(status);
  // No longer accepting.
  EXPECT_EQ(connect_to(s.port), -1);
  ::close(idle);
  ::close(busy);
}

TEST_P(EvqServer, ASecondSignalDuringTheGracePeriodEndsTheProcessAtOnce) {
  auto s = delay({"--grace", "30"});
  const int busy = connect_to(s.port);
  send_str(busy, "GET /20000/slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  s.child->signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(s.child->running()) << "the first signal must wait for the request";
  s.child->signal(SIGTERM);
  const auto status = s.child->wait(Clock::now() + 3s);
  ASSERT_TRUE(status) << "still running after a second signal";
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM) << describe_status(status);
  ::close(busy);
}

TEST_P(EvqServer, EchoServerEchoesAMebibyteAndRespectsHalfClose) {
  auto s = start({"echo-server", "--port", "0", "--backend", std::string(GetParam())});
  const int fd = connect_to(s.port);
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  std::thread writer([&] {
    send_str(fd, big);
    ::shutdown(fd, SHUT_WR);  // half-close: the server must still send everything back
  });
  const std::string back = read_all(fd);
  writer.join();
  EXPECT_EQ(back.size(), big.size());
  EXPECT_TRUE(back == big);
  ::close(fd);
}

#ifdef DELAY_CLIENTS
// The foundation's example (the book's first program) against evq's own delay server.
TEST_P(EvqServer, TheBooksDelayClientsGetEveryAnswerInReverseOrder) {
  auto s = delay();
  Child clients({DELAY_CLIENTS, "--connections", "5", "--unit-ms", "100", "--backend",
                 std::string(GetParam()), "127.0.0.1:" + std::to_string(s.port)});
  clients.read_to_eof(Clock::now() + 10s);
  const auto status = clients.wait(Clock::now() + 5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 0) << clients.output();
  const std::string& out = clients.output();
  EXPECT_NE(out.find("All 5 responses received"), std::string::npos) << out;
  EXPECT_LT(out.find("response 4: 200 OK"), out.find("response 0: 200 OK")) << out;
}
#endif

INSTANTIATE_TEST_SUITE_P(Backends, EvqServer, testing::ValuesIn(poll::backend_names()),
                         [](const auto& info) { return std::string(info.param); });

// Durations are checked before anything starts: a NaN, an infinity or a value whose milliseconds
// would overflow is an error naming the option, not a server that closes every connection.
TEST(EvqCli, DurationsOutOfRangeAreAClearError) {
  for (const char* bad : {"nan", "inf", "1e300", "-1", "0", "abc"}) {
    Child c({EVQ_BINARY, "delay-server", "--port", "0", "--idle-timeout", bad});
    c.read_to_eof(Clock::now() + 5s);
    const auto status = c.wait(Clock::now() + 5s);
    ASSERT_TRUE(status) << bad;
    EXPECT_NE(WEXITSTATUS(*status), 0) << bad;
    EXPECT_NE(c.output().find("--idle-timeout"), std::string::npos) << bad << ": " << c.output();
    EXPECT_EQ(c.output().find("listening"), std::string::npos) << bad;
  }
  Child c({EVQ_BINARY, "delay-server", "--port", "0", "--max-delay", "18446744073709551615"});
  c.read_to_eof(Clock::now() + 5s);
  const auto status = c.wait(Clock::now() + 5s);
  ASSERT_TRUE(status);
  EXPECT_NE(WEXITSTATUS(*status), 0);
}

TEST(EvqCli, UnimplementedStrategyIsAClearError) {
  Child c({EVQ_BINARY, "delay-server", "--port", "0", "--strategy", "fiber"});
  c.read_to_eof(Clock::now() + 5s);
  const auto status = c.wait(Clock::now() + 5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  EXPECT_NE(c.output().find("not implemented yet"), std::string::npos) << c.output();
}

}  // namespace
}  // namespace evq::test
