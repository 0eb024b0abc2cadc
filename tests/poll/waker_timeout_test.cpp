// Waker and timeouts on one thread (the cross-thread cases are in threads_test.cpp).
#include "evq/error.hpp"
#include "evq/poll/waker.hpp"
#include "util.hpp"

namespace evq::test {
namespace {

using Clock = std::chrono::steady_clock;

class WakerAndTimeout : public PollTest {};

TEST_P(WakerAndTimeout, TimeoutZeroDoesNotBlock) {
  Events events(4);
  const auto t0 = Clock::now();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(poll().poll(events, 0ms));
  EXPECT_TRUE(events.empty());
  EXPECT_LT(Clock::now() - t0, 500ms);
}

TEST_P(WakerAndTimeout, TimeoutWaitsAboutThatLong) {
  Events events(4);
  const auto t0 = Clock::now();
  ASSERT_TRUE(poll().poll(events, 60ms));
  const auto took = Clock::now() - t0;
  EXPECT_TRUE(events.empty());
  EXPECT_GE(took, 59ms);
  EXPECT_LT(took, 2s);
}

TEST_P(WakerAndTimeout, SubMillisecondTimeoutIsRoundedUpNotZero) {
  Events events(4);
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(poll().poll(events, std::chrono::microseconds(100)));
  EXPECT_GE(Clock::now() - t0, 5ms);
}

TEST_P(WakerAndTimeout, WakeBeforePollIsDeliveredByTheNextPoll) {
  auto waker = poll::Waker::create(registry(), Token(42));
  ASSERT_TRUE(waker) << waker.error().message();
  waker->wake();
  auto got = poll_once(1s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[Token(42)] & Event::kReadable);
  expect_no_events();
}

TEST_P(WakerAndTimeout, ManyWakesCoalesceIntoOneEvent) {
  auto waker = poll::Waker::create(registry(), Token(42));
  ASSERT_TRUE(waker);
  for (int i = 0; i < 10000; ++i)
    waker->wake();
  Events events(16);
  ASSERT_TRUE(poll().poll(events, 1s));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].token(), Token(42));
  expect_no_events();
  waker->wake();  // and it works again afterwards
  EXPECT_TRUE(wait_for(Token(42)));
}

TEST_P(WakerAndTimeout, OneWakerPerPollAndTheSlotFreesOnDestruction) {
  {
    auto waker = poll::Waker::create(registry(), Token(1));
    ASSERT_TRUE(waker);
    auto second = poll::Waker::create(registry(), Token(2));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), Errc::waker_exists);
  }
  auto again = poll::Waker::create(registry(), Token(3));
  ASSERT_TRUE(again);
  again->wake();
  EXPECT_TRUE(wait_for(Token(3)));
}

TEST_P(WakerAndTimeout, WakerEventFitsWithOtherEventsInACapacityOfOne) {
  auto waker = poll::Waker::create(registry(), Token(9));
  ASSERT_TRUE(waker);
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  send_all(client.get(), "x");
  waker->wake();
  std::map<Token, int> seen;
  Events events(1);
  for (int i = 0; i < 10 && seen.size() < 2; ++i) {
    ASSERT_TRUE(poll().poll(events, 200ms));
    ASSERT_LE(events.size(), 1u);
    for (const Event& e : events)
      ++seen[e.token()];
  }
  EXPECT_EQ(seen[Token(1)], 1);
  EXPECT_EQ(seen[Token(9)], 1);
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(WakerAndTimeout);

}  // namespace
}  // namespace evq::test
