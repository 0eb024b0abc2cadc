// Edge-triggered semantics on every backend: one event per readiness change.
#include <thread>
#include <vector>

#include "util.hpp"

namespace evq::test {
namespace {

class EdgeTriggered : public PollTest {};

TEST_P(EdgeTriggered, NoSecondEventWithoutNewData) {
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(server));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::READABLE));
  send_all(client.get(), "abc");
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadable);
  // Not drained, nothing new: the edge was delivered once.
  expect_no_events();
  // Drained to would_block, still nothing new: no event.
  auto [data, eof] = drain(source);
  EXPECT_EQ(data, "abc");
  EXPECT_FALSE(eof);
  expect_no_events();
}

TEST_P(EdgeTriggered, NewEventAfterNewData) {
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(server));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::READABLE));
  for (int round = 0; round < 5; ++round) {
    const std::string msg = "round " + std::to_string(round);
    send_all(client.get(), msg);
    EXPECT_TRUE(wait_for(Token(1)) & Event::kReadable) << round;
    EXPECT_EQ(drain(source).first, msg);
    expect_no_events(20ms);
  }
}

TEST_P(EdgeTriggered, WritableAgainOnlyAfterTheBufferFilledAndDrained) {
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(client));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(1)) & Event::kWritable);
  expect_no_events();

  // Fill the socket until would_block.
  std::vector<std::byte> chunk(64 * 1024);
  std::size_t sent = 0;
  for (;;) {
    auto n = source.do_io(Interest::WRITABLE, [&](int fd) { return sys::send(fd, chunk); });
    if (!n) {
      ASSERT_TRUE(sys::is_would_block(n.error())) << n.error().message();
      break;
    }
    sent += *n;
  }
  expect_no_events();
  // The peer reads everything: the socket becomes writable again, one event.
  std::size_t got = 0;
  while (got < sent) {
    auto n = sys::recv(server.get(), chunk);
    if (!n && sys::is_would_block(n.error())) {
      std::this_thread::sleep_for(1ms);
      continue;
    }
    ASSERT_TRUE(n) << n.error().message();
    got += *n;
  }
  EXPECT_TRUE(wait_for(Token(1)) & Event::kWritable);
}

TEST_P(EdgeTriggered, ReadableAndWritableTrackedSeparately) {
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(server));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::READABLE | Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(1)) & Event::kWritable);
  expect_no_events();
  send_all(client.get(), "x");
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadable);
  drain(source);
  expect_no_events();
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(EdgeTriggered);

}  // namespace
}  // namespace evq::test
