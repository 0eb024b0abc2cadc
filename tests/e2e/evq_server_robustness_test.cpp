// End to end: the real `evq delay-server` and `evq echo-server` against clients that misbehave
// (never read, flood, vanish, stall, dribble), on every poll backend. Each test checks that the
// server bounds what such a client costs and keeps serving the others. The measured figures
// (latencies, times to close, memory) are printed for the log and asserted only against
// generous bounds.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "evq/poll/poll.hpp"
#include "server_client.hpp"

namespace evq::test {
namespace {

using Ms = std::chrono::duration<double, std::milli>;
constexpr double kMiB = 1024.0 * 1024.0;

// ---- Ping-pong: well-behaved clients whose round trips are measured ----

enum class Proto { echo, http };

std::string ping_tag(std::size_t conn, int round) {
  return "c" + std::to_string(conn) + "r" + std::to_string(round);
}

// Echo: 64 bytes. HTTP: a delay-server request with no delay whose body is the tag.
std::string ping_request(Proto p, std::size_t conn, int round) {
  if (p == Proto::http) return "GET /0/" + ping_tag(conn, round) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string s = ping_tag(conn, round);
  s.resize(64, '.');
  return s;
}

// The length of the complete answer at the start of `got`, or 0 while it is incomplete.
std::size_t answer_length(Proto p, const std::string& got) {
  if (p == Proto::echo) return got.size() >= 64 ? 64 : 0;
  const auto end = got.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  const auto cl = got.find("Content-Length: ");
  const std::size_t body = cl < end ? std::stoul(got.substr(cl + 16)) : 0;
  return got.size() >= end + 4 + body ? end + 4 + body : 0;
}

bool right_answer(Proto p, std::size_t conn, int round, const std::string& answer) {
  if (p == Proto::echo) return answer == ping_request(p, conn, round);
  return status_of(answer) == 200 && body_of(answer) == ping_tag(conn, round);
}

// Round-trip times, and what went wrong (empty: every exchange was answered rightly in time).
struct Latencies {
  std::vector<double> ms;
  std::string failure;

  [[nodiscard]] double at(double q) const {
    if (ms.empty()) return 0;
    auto v = ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  }
  [[nodiscard]] std::string summary() const {
    std::ostringstream o;
    o << std::fixed << std::setprecision(2) << "n=" << ms.size() << " p50=" << at(0.5)
      << " ms p99=" << at(0.99) << " ms max=" << at(1.0) << " ms";
    return o.str();
  }
};

// Rounds of ping-pong on all `fds` at once (each sends one request and waits for its answer)
// until `end` or `stop()`. A round with an answer missing after 3 s is a failure.
Latencies ping_pong(
    Proto p, const std::vector<int>& fds, Clock::time_point end,
    const std::function<bool()>& stop = [] { return false; }) {
  Latencies out;
  char buf[4096];
  for (int round = 0; round < 1'000'000 && Clock::now() < end && !stop(); ++round) {
    std::vector<std::string> got(fds.size());
    std::vector<Clock::time_point> sent(fds.size());
    std::vector<bool> done(fds.size());
    for (std::size_t i = 0; i < fds.size(); ++i) {
      sent[i] = Clock::now();
      send_str(fds[i], ping_request(p, i, round));
    }
    std::size_t left = fds.size();
    const auto give_up = Clock::now() + 3s;
    while (left > 0) {
      if (Clock::now() >= give_up) {
        out.failure = "round " + std::to_string(round) + ": " + std::to_string(left) +
                      " connection(s) got no answer within 3 s";
        return out;
      }
      std::vector<pollfd> ps;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (done[i]) continue;
        ps.push_back({fds[i], POLLIN, 0});
        which.push_back(i);
      }
      if (::poll(ps.data(), ps.size(), 50) <= 0) continue;
      for (std::size_t k = 0; k < ps.size(); ++k) {
        if (ps[k].revents == 0) continue;
        const std::size_t i = which[k];
        const ssize_t n = ::recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && !would_block(errno))) {
          out.failure = "connection " + std::to_string(i) + " was closed by the server";
          return out;
        }
        if (n < 0) continue;
        got[i].append(buf, static_cast<std::size_t>(n));
        const std::size_t len = answer_length(p, got[i]);
        if (len == 0) continue;
        if (len != got[i].size() || !right_answer(p, i, round, got[i])) {
          out.failure = "connection " + std::to_string(i) + ": wrong answer: " + got[i];
          return out;
        }
        out.ms.push_back(Ms(Clock::now() - sent[i]).count());
        done[i] = true;
        --left;
      }
    }
  }
  return out;
}

// One round of ping-pong.
Latencies one_round(Proto p, const std::vector<int>& fds) {
  return ping_pong(p, fds, Clock::now() + 5s, [n = 0]() mutable { return n++ > 0; });
}

// Client sockets closed when the test ends, however it ends.
struct Clients {
  std::vector<int> fds;
  Clients() = default;
  Clients(const Clients&) = delete;
  Clients& operator=(const Clients&) = delete;
  ~Clients() {
    for (int fd : fds)
      ::close(fd);
  }
};

// ---- Misbehaving clients ----

// A client that keeps the server busy on one connection: a thread writes `chunk` over and over
// as fast as the server takes it, another reads (and drops) as fast as the server answers.
class Flood {
 public:
  Flood(std::uint16_t port, std::string chunk) : fd_(connect_to(port)), chunk_(std::move(chunk)) {
    writer_ = std::thread([this] { write_loop(); });
    reader_ = std::thread([this] { read_loop(); });
  }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;
  ~Flood() {
    stop();
    ::close(fd_);
  }
  void stop() {
    stop_ = true;
    if (writer_.joinable()) writer_.join();
    if (reader_.joinable()) reader_.join();
  }
  [[nodiscard]] std::size_t received() const { return received_; }

 private:
  // Both loops end at stop() or, whatever the test does, after 30 s.
  void write_loop() {
    const auto deadline = Clock::now() + 30s;
    std::size_t off = 0;
    while (!stop_ && Clock::now() < deadline) {
      const ssize_t n =
          ::send(fd_, chunk_.data() + off, chunk_.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        off = (off + static_cast<std::size_t>(n)) % chunk_.size();
      } else if (n < 0 && !would_block(errno)) {
        return;
      } else {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 50);
      }
    }
  }
  void read_loop() {
    const auto deadline = Clock::now() + 30s;
    std::vector<char> buf(256 * 1024);
    while (!stop_ && Clock::now() < deadline) {
      const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) {
        received_ += static_cast<std::size_t>(n);
      } else if (n == 0 || !would_block(errno)) {
        return;
      } else {
        pollfd p{fd_, POLLIN, 0};
        ::poll(&p, 1, 50);
      }
    }
  }

  int fd_;
  std::string chunk_;
  std::atomic<bool> stop_ = false;
  std::atomic<std::size_t> received_ = 0;
  std::thread writer_, reader_;
};

// What a client that writes and never reads managed before it stopped.
struct Push {
  std::size_t sent = 0;
  int error = 0;  // errno of the send that failed (the server closed); 0: a limit was reached
  Clock::time_point last_progress, ended;
};

// Writes `chunk` over and over, never reading, until a send fails, `limit` bytes went, or the
// deadline.
Push push_without_reading(int fd, std::string_view chunk, std::size_t limit,
                          Clock::time_point deadline) {
  Push r;
  r.last_progress = Clock::now();
  std::size_t off = 0;
  while (r.sent < limit && Clock::now() < deadline) {
    const ssize_t n =
        ::send(fd, chunk.data() + off, chunk.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      r.sent += static_cast<std::size_t>(n);
      off = (off + static_cast<std::size_t>(n)) % chunk.size();
      r.last_progress = Clock::now();
    } else if (n < 0 && !would_block(errno)) {
      r.error = errno;
      break;
    } else {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 50);
    }
  }
  r.ended = Clock::now();
  return r;
}

// A thousand pipelined requests for the delay server, answered at once.
std::string pipelined_burst() {
  std::string burst;
  for (int i = 0; i < 1000; ++i)
    burst += "GET /0/x HTTP/1.1\r\nHost: x\r\n\r\n";
  return burst;
}

class EvqServerRobustness : public EvqServer {
 protected:
  Server echo(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"echo-server", "--port", "0", "--backend",
                                  std::string(GetParam())};
    args.insert(args.end(), extra.begin(), extra.end());
    return start(args);
  }

  // The server's fd count at rest: after one exchange on a connection since closed (so what the
  // server opens lazily is open), once it has not changed for 100 ms (within 2 s).
  static int baseline_fds(const Server& s, Proto p) {
    const int fd = connect_to(s.port);
    EXPECT_TRUE(one_round(p, {fd}).failure.empty());
    ::close(fd);
    int last = s.child->open_fds();
    const auto deadline = Clock::now() + 2s;
    for (int same = 0; same < 5 && Clock::now() < deadline;) {
      std::this_thread::sleep_for(20ms);
      const int now = s.child->open_fds();
      same = now == last ? same + 1 : 0;
      last = now;
    }
    return last;
  }

  // A client that never reads its answers must be closed once the server's writes to it have
  // stalled for --idle-timeout (1 s), while another client goes on being served and the
  // server's memory stays bounded.
  void expect_a_client_that_never_reads_is_closed(const Server& s, Proto p,
                                                  const std::string& chunk) {
    ASSERT_NE(s.port, 0);
    const int base = baseline_fds(s, p);
    const long rss0 = s.child->rss_kib();
    long rss_max = rss0;
    const int other = connect_to(s.port);
    const int hog = connect_to(s.port);
    std::atomic<bool> hog_done = false;
    Push push;
    std::thread pusher([&] {
      push = push_without_reading(hog, chunk, 256u << 20, Clock::now() + 10s);
      hog_done = true;
    });
    auto sampled = Clock::now();
    const auto pings = ping_pong(p, {other}, Clock::now() + 12s, [&] {
      if (Clock::now() - sampled >= 20ms) {
        rss_max = std::max(rss_max, s.child->rss_kib());
        sampled = Clock::now();
      }
      return hog_done.load();
    });
    pusher.join();
    rss_max = std::max(rss_max, s.child->rss_kib());
    const bool freed =
        wait_until([&] { return s.child->open_fds() == base + 1; }, Clock::now() + 3s);
    const Ms stalled_for = push.ended - push.last_progress;
    std::cout << "[ figures  ] " << GetParam() << ": pushed " << std::fixed << std::setprecision(1)
              << static_cast<double>(push.sent) / kMiB << " MiB unread; closed "
              << stalled_for.count() << " ms after the last progress ("
              << (push.error ? std::strerror(push.error) : "not closed") << "); RSS growth "
              << static_cast<double>(rss_max - rss0) / 1024.0
              << " MiB; the other client: " << pings.summary() << "\n";
    EXPECT_TRUE(push.error == ECONNRESET || push.error == EPIPE)
        << "the server did not close the connection (pushed " << push.sent << " bytes)";
    EXPECT_LT(stalled_for.count(), 5000.0);
    EXPECT_TRUE(freed) << "fds: " << s.child->open_fds()
                       << ", at rest with one client: " << base + 1;
    EXPECT_TRUE(pings.failure.empty()) << pings.failure;
    EXPECT_FALSE(pings.ms.empty());
    EXPECT_LT(rss_max - rss0, 64 * 1024) << "KiB";
    EXPECT_TRUE(one_round(p, {other}).failure.empty()) << "the other client is no longer served";
    ::close(hog);
    ::close(other);
  }

  // While one client floods the server, 10 others doing ping-pong get their answers quickly.
  void expect_ping_pong_stays_fast_during_a_flood(const Server& s, Proto p, std::string chunk) {
    ASSERT_NE(s.port, 0);
    // Connected and served before the flood: what is measured is fairness between connections.
    Clients pingers;
    for (int i = 0; i < 10; ++i)
      pingers.fds.push_back(connect_to(s.port));
    ASSERT_TRUE(one_round(p, pingers.fds).failure.empty());
    Flood flood(s.port, std::move(chunk));
    ASSERT_TRUE(wait_until([&] { return flood.received() >= (1u << 20); }, Clock::now() + 5s))
        << "the flood did not get going";
    const std::size_t before = flood.received();
    const auto t0 = Clock::now();
    const auto pings = ping_pong(p, pingers.fds, t0 + 2s);
    const double flood_mib_s = static_cast<double>(flood.received() - before) / kMiB /
                               std::chrono::duration<double>(Clock::now() - t0).count();
    flood.stop();
    std::cout << "[ figures  ] " << GetParam()
              << ": 10 clients' round trips during a flood: " << pings.summary()
              << "; the flood got " << std::fixed << std::setprecision(1) << flood_mib_s
              << " MiB/s back\n";
    EXPECT_TRUE(pings.failure.empty()) << pings.failure;
    EXPECT_GE(pings.ms.size(), 10u);
    EXPECT_LT(pings.at(0.99), 200.0) << pings.summary();
  }

  // While one client floods the server, new clients are accepted and answered quickly: the
  // flood must not keep the accept loop from running either.
  void expect_new_clients_served_quickly_during_a_flood(const Server& s, Proto p,
                                                        std::string chunk) {
    ASSERT_NE(s.port, 0);
    Flood flood(s.port, std::move(chunk));
    ASSERT_TRUE(wait_until([&] { return flood.received() >= (1u << 20); }, Clock::now() + 5s))
        << "the flood did not get going";
    Latencies firsts;  // connect, then one exchange
    for (int i = 0; i < 10 && firsts.failure.empty(); ++i) {
      const auto t0 = Clock::now();
      Clients c;
      c.fds.push_back(connect_to(s.port));
      firsts.failure = one_round(p, c.fds).failure;
      if (firsts.failure.empty()) firsts.ms.push_back(Ms(Clock::now() - t0).count());
    }
    flood.stop();
    std::cout << "[ figures  ] " << GetParam()
              << ": new clients' connect + first round trip during a flood: " << firsts.summary()
              << "\n";
    EXPECT_TRUE(firsts.failure.empty()) << firsts.failure;
    EXPECT_LT(firsts.at(1.0), 500.0) << firsts.summary();
  }

  // A client that resets its connection after sending `request` (and waiting 100 ms) disturbs
  // no one, and the server frees its fd.
  void expect_a_reset_peer_is_harmless(const std::string& request) {
    auto s = delay({"--quiet"});
    ASSERT_NE(s.port, 0);
    const int base = baseline_fds(s, Proto::http);
    const int other = connect_to(s.port);
    const int gone = connect_to(s.port);
    send_str(gone, request);
    std::this_thread::sleep_for(100ms);
    reset_close(gone);
    const auto t0 = Clock::now();
    // The other client is served while the server still holds the vanished one.
    const auto pings =
        ping_pong(Proto::http, {other}, t0 + 6s, [&] { return s.child->open_fds() <= base + 1; });
    const Ms freed_after = Clock::now() - t0;
    std::cout << "[ figures  ] " << GetParam() << ": the reset connection was freed after "
              << std::fixed << std::setprecision(1) << freed_after.count()
              << " ms; the other client meanwhile: " << pings.summary() << "\n";
    EXPECT_TRUE(pings.failure.empty()) << pings.failure;
    EXPECT_EQ(s.child->open_fds(), base + 1) << "the reset connection's fd is still open";
    EXPECT_TRUE(one_round(Proto::http, {other}).failure.empty())
        << "the other client is not served";
    ::close(other);
    EXPECT_TRUE(wait_until([&] { return s.child->open_fds() == base; }, Clock::now() + 3s))
        << "fds: " << s.child->open_fds() << ", at rest: " << base;
    EXPECT_EQ(body_of(get(s.port, "GET /0/alive HTTP/1.1\r\nHost: x\r\n\r\n")), "alive");
  }

  // A connection on which the client sends `sent` and then nothing is closed by the server
  // within 0.5-3 s (its timeouts are 1 s).
  void expect_closed_after_a_timeout(const Server& s, std::string_view sent, const char* what) {
    ASSERT_NE(s.port, 0);
    const int fd = connect_to(s.port);
    send_str(fd, sent);
    const auto took = time_to_close(fd, 6s);
    ::close(fd);
    ASSERT_TRUE(took) << "still open after 6 s";
    std::cout << "[ figures  ] " << GetParam() << ": " << what << " closed after " << std::fixed
              << std::setprecision(1) << took->count() << " ms\n";
    EXPECT_GE(took->count(), 500.0);
    EXPECT_LE(took->count(), 3000.0);
  }
};

TEST_P(EvqServerRobustness, DelayServerClosesAClientThatNeverReadsItsAnswers) {
  // Pipelined requests for 7 KiB answers, thousands of them if the server took them all.
  std::string burst;
  for (int i = 0; i < 64; ++i)
    burst += "GET /0/" + std::string(7000, 'm') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  expect_a_client_that_never_reads_is_closed(delay({"--quiet", "--idle-timeout", "1"}), Proto::http,
                                             burst);
}

TEST_P(EvqServerRobustness, EchoServerClosesAClientThatNeverReadsAndStaysSmall) {
  std::string chunk(1 << 20, '\0');
  for (std::size_t i = 0; i < chunk.size(); ++i)
    chunk[i] = static_cast<char>(i * 13);
  expect_a_client_that_never_reads_is_closed(echo({"--idle-timeout", "1"}), Proto::echo, chunk);
}

TEST_P(EvqServerRobustness, EchoServerAnswersOthersQuicklyWhileOneClientFloods) {
  expect_ping_pong_stays_fast_during_a_flood(echo(), Proto::echo, std::string(64 * 1024, 'f'));
}

TEST_P(EvqServerRobustness, DelayServerAnswersOthersQuicklyWhileOneClientPipelinesAFlood) {
  expect_ping_pong_stays_fast_during_a_flood(delay({"--quiet"}), Proto::http, pipelined_burst());
}

TEST_P(EvqServerRobustness, EchoServerAcceptsAndAnswersNewClientsQuicklyWhileOneFloods) {
  expect_new_clients_served_quickly_during_a_flood(echo(), Proto::echo,
                                                   std::string(64 * 1024, 'f'));
}

TEST_P(EvqServerRobustness, DelayServerAcceptsAndAnswersNewClientsQuicklyWhileOneFloods) {
  expect_new_clients_served_quickly_during_a_flood(delay({"--quiet"}), Proto::http,
                                                   pipelined_burst());
}

TEST_P(EvqServerRobustness, APeerThatResetsDuringTheDelayIsHarmlessAndItsFdIsFreed) {
  expect_a_reset_peer_is_harmless("GET /2000/x HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST_P(EvqServerRobustness, APeerThatResetsMidRequestIsHarmlessAndItsFdIsFreed) {
  expect_a_reset_peer_is_harmless("GET /2000/x HTTP/1.1\r\nHo");
}

TEST_P(EvqServerRobustness, HeaderTimeoutClosesAClientThatStopsMidHead) {
  expect_closed_after_a_timeout(delay({"--quiet", "--header-timeout", "1"}),
                                "GET /0/x HTTP/1.1\r\nHost: a\r\n", "a head left unfinished");
}

TEST_P(EvqServerRobustness, DelayServerIdleTimeoutClosesAClientThatSendsNothing) {
  expect_closed_after_a_timeout(delay({"--quiet", "--idle-timeout", "1"}), "",
                                "a silent delay-server client");
}

TEST_P(EvqServerRobustness, EchoServerIdleTimeoutClosesAClientThatSendsNothing) {
  expect_closed_after_a_timeout(echo({"--idle-timeout", "1"}), "", "a silent echo client");
}

TEST_P(EvqServerRobustness, EchoServerEchoesAThousandOneByteWrites) {
  auto s = echo();
  ASSERT_NE(s.port, 0);
  const int fd = connect_to(s.port);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string sent;
  for (int i = 0; i < 1000; ++i) {
    const char c = static_cast<char>(i * 31 + 7);
    send_str(fd, std::string_view(&c, 1));
    sent += c;
  }
  const std::string back = read_exactly(fd, sent.size(), 5s);
  const std::string extra = read_exactly(fd, 1, 100ms);
  ::close(fd);
  EXPECT_EQ(back.size(), sent.size());
  EXPECT_TRUE(back == sent);
  EXPECT_EQ(extra, "");
}

INSTANTIATE_TEST_SUITE_P(robustness, EvqServerRobustness, testing::ValuesIn(poll::backend_names()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace evq::test
