// The internal wake-up channel, on each implementation (the pipe one is what non-Linux systems
// use; it is compiled and tested here too).
#include <poll.h>

#include <thread>

#include <gtest/gtest.h>

#include "poll/signal.hpp"

namespace evq::poll::detail {
namespace {

bool readable(int fd, int timeout_ms = 0) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

using Factory = Result<std::unique_ptr<Signal>> (*)();

class SignalTest : public testing::TestWithParam<Factory> {};

TEST_P(SignalTest, RaiseMakesItReadableAndDrainEmptiesIt) {
  auto s = GetParam()();
  ASSERT_TRUE(s) << s.error().message();
  Signal& sig = **s;
  EXPECT_FALSE(readable(sig.fd()));
  for (int i = 0; i < 100000; ++i)
    sig.raise();  // coalesced: never overflows or fills
  EXPECT_TRUE(readable(sig.fd()));
  sig.drain();
  EXPECT_FALSE(readable(sig.fd()));
  sig.raise();
  EXPECT_TRUE(readable(sig.fd()));
}

TEST_P(SignalTest, RaiseFromAnotherThreadWakesAPoller) {
  auto s = GetParam()();
  ASSERT_TRUE(s);
  Signal& sig = **s;
  for (int round = 0; round < 200; ++round) {
    std::thread t([&] { sig.raise(); });
    EXPECT_TRUE(readable(sig.fd(), 2000)) << round;
    t.join();
    sig.drain();
  }
}

INSTANTIATE_TEST_SUITE_P(Impl, SignalTest,
                         testing::Values(&make_pipe_signal
#ifdef __linux__
                                         ,
                                         &make_eventfd_signal
#endif
                                         ),
                         [](const auto& info) {
                           return info.param == &make_pipe_signal ? std::string("pipe")
                                                                  : std::string("eventfd");
                         });

}  // namespace
}  // namespace evq::poll::detail
