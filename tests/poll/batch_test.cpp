// Batches: more ready sources than Events holds, many sources, and changes made while a batch
// is being handled (closing, reusing fd numbers, deregistering, dup).
#include <fcntl.h>
#include <sys/resource.h>

#include <set>

#include "util.hpp"

namespace evq::test {
namespace {

class Batches : public PollTest {};

TEST_P(Batches, MoreReadyThanCapacityComeNextPollNoneLost) {
  constexpr int kSources = 10;
  std::vector<TcpPair> pairs;
  for (int i = 0; i < kSources; ++i) {
    pairs.push_back(tcp_pair());
    ASSERT_TRUE(registry().register_(pairs.back().server.get(), Token(i), Interest::READABLE));
    send_all(pairs.back().client.get(), "x");
  }
  std::map<Token, int> seen;
  int polls = 0;
  Events events(3);
  while (seen.size() < kSources && polls < 100) {
    ASSERT_TRUE(poll().poll(events, 500ms));
    EXPECT_LE(events.size(), 3u);
    for (const Event& e : events)
      ++seen[e.token()];
    ++polls;
  }
  EXPECT_EQ(seen.size(), std::size_t{kSources});
  for (auto& [token, count] : seen)
    EXPECT_EQ(count, 1) << token.value();
  EXPECT_GE(polls, 4);
  expect_no_events();
}

TEST_P(Batches, TenThousandSourcesThousandReadyEachReportedOnce) {
  // UDP sockets take one fd each; the machine's hard limit is 20,000.
  rlimit lim;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur < 10100 && lim.rlim_max >= 10100) {
    lim.rlim_cur = lim.rlim_max;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);
  }
  ASSERT_GE(lim.rlim_cur, 10100u) << "this test needs 10,100 fds; the hard limit is lower";

  constexpr int kSources = 10000, kReady = 1000;
  std::vector<sys::Fd> sockets;
  std::vector<sys::SocketAddr> addrs;
  const auto any = *sys::SocketAddr::parse("127.0.0.1:0");
  for (int i = 0; i < kSources; ++i) {
    auto s = sys::socket(AF_INET, SOCK_DGRAM);
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_TRUE(sys::bind(s->get(), any));
    ASSERT_TRUE(registry().register_(s->get(), Token(i), Interest::READABLE));
    addrs.push_back(*sys::local_addr(s->get()));
    sockets.push_back(std::move(*s));
  }
  auto sender = sys::socket(AF_INET, SOCK_DGRAM);
  ASSERT_TRUE(sender);
  for (int i = 0; i < kSources; i += kSources / kReady) {
    ASSERT_TRUE(sys::send_to(sender->get(), sys::bytes("!"), addrs[i]));
  }
  std::map<Token, int> seen;
  Events events(256);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < kReady && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(poll().poll(events, 200ms));
    for (const Event& e : events)
      ++seen[e.token()];
  }
  ASSERT_EQ(seen.size(), std::size_t{kReady});
  for (auto& [token, count] : seen) {
    EXPECT_EQ(token.value() % (kSources / kReady), 0u);
    EXPECT_EQ(count, 1) << token.value();
  }
  expect_no_events();
  for (auto& s : sockets)
    ASSERT_TRUE(registry().deregister(s.get()));
}

TEST_P(Batches, SourceClosedAndFdReusedWhileItsEventIsStillInTheBatch) {
  auto a = tcp_pair();
  auto b = tcp_pair();
  poll::Source first(std::move(a.server));
  poll::Source second(std::move(b.server));
  ASSERT_TRUE(registry().register_(first, Token(1), Interest::READABLE));
  ASSERT_TRUE(registry().register_(second, Token(2), Interest::READABLE));
  send_all(a.client.get(), "a");
  send_all(b.client.get(), "b");
  std::this_thread::sleep_for(20ms);  // both ready before the poll

  Events events(8);
  ASSERT_TRUE(poll().poll(events, 1s));
  ASSERT_EQ(events.size(), 2u);
  // Handling the first event closes both sources; a new socket takes a freed fd number.
  const int old_fd = first.fd();
  ASSERT_TRUE(first.close());
  ASSERT_TRUE(second.close());
  std::vector<sys::Fd> fresh;  // new sockets until one takes the freed number
  while (fresh.size() < 16 && (fresh.empty() || fresh.back().get() != old_fd)) {
    auto s = sys::socket(AF_INET, SOCK_DGRAM);  // idle: neither readable nor hung up
    ASSERT_TRUE(s);
    fresh.push_back(std::move(*s));
  }
  ASSERT_EQ(fresh.back().get(), old_fd);
  const int fd = old_fd;
  ASSERT_TRUE(registry().register_(fd, Token(3), Interest::READABLE));
  // The batch in hand still says what was true when it was taken: tokens 1 and 2, not 3.
  for (const Event& e : events)
    EXPECT_NE(e.token(), Token(3));
  // No later poll reports the closed sources (they were ready, unread, when closed); the new
  // registration on the reused number is idle and reports nothing either.
  expect_no_events();
  ASSERT_TRUE(registry().deregister(fd));
}

TEST_P(Batches, DeregisterInTheMiddleOfABatch) {
  std::vector<TcpPair> pairs;
  std::vector<poll::Source> sources;
  for (int i = 0; i < 3; ++i) {
    pairs.push_back(tcp_pair());
    sources.emplace_back(std::move(pairs[i].server));
    ASSERT_TRUE(registry().register_(sources[i], Token(i), Interest::READABLE));
    send_all(pairs[i].client.get(), "x");
  }
  std::this_thread::sleep_for(20ms);
  Events events(8);
  ASSERT_TRUE(poll().poll(events, 1s));
  ASSERT_EQ(events.size(), 3u);
  std::set<Token> handled;
  int removed = -1;
  for (const Event& e : events) {
    handled.insert(e.token());
    if (removed < 0) {  // deregister one we have not handled yet
      removed = e.token() == Token(0) ? 1 : 0;
      ASSERT_TRUE(registry().deregister(sources[removed]));
    }
    drain(sources[e.token().value()]);
  }
  EXPECT_EQ(handled.size(), 3u);  // the batch itself is not rewritten (documented)
  for (auto& p : pairs)
    send_all(p.client.get(), "y");
  std::map<Token, std::uint32_t> got;
  for (int i = 0; i < 5; ++i)
    got.merge(poll_once(50ms));
  EXPECT_FALSE(got.count(Token(removed))) << "deregistered token reported: " << removed;
  EXPECT_EQ(got.size(), 2u);  // the other two: their new data is a new edge
}

TEST_P(Batches, DupOfAClosedSourceNeverFires) {
  // epoll watches the open file description: a bare close() with a dup alive keeps it
  // registered and firing. Source deregisters first.
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(server));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::READABLE));
  auto copy = sys::dup(source.fd());
  ASSERT_TRUE(copy);
  ASSERT_TRUE(source.close());
  send_all(client.get(), "data for the dup");
  expect_no_events(100ms);
  char buf[64];
  auto n = sys::read(copy->get(), buf, sizeof(buf));  // the dup still works
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 16u);
}

TEST_P(Batches, DeregisteredFdIsNeverReportedAgain) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(
      registry().register_(server.get(), Token(1), Interest::READABLE | Interest::WRITABLE));
  send_all(client.get(), "x");
  ASSERT_TRUE(registry().deregister(server.get()));
  expect_no_events();
  send_all(client.get(), "y");
  ASSERT_TRUE(sys::shutdown(client.get(), SHUT_WR));
  expect_no_events();
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(Batches);

}  // namespace
}  // namespace evq::test
