// Helpers for the evq::poll conformance suite: every test is written once and instantiated for
// every compiled backend (the backend's name is part of the test name).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "evq/poll/poll.hpp"
#include "evq/poll/source.hpp"
#include "evq/sys/socket.hpp"

namespace evq::test {

using namespace std::chrono_literals;
using poll::Event;
using poll::Events;
using poll::Interest;
using poll::Token;

inline std::string backend_test_name(const testing::TestParamInfo<std::string_view>& info) {
  return std::string(info.param);
}

class PollTest : public testing::TestWithParam<std::string_view> {
 protected:
  void SetUp() override {
    auto p = poll::Poll::create({.backend = GetParam()});
    ASSERT_TRUE(p) << p.error().message();
    poll_.emplace(std::move(*p));
    ASSERT_EQ(poll_->backend_name(), GetParam());
  }
  poll::Poll& poll() { return *poll_; }
  const poll::Registry& registry() { return poll_->registry(); }

  // Polls once (timeout `t`) and returns the events, merged per token (flags or-ed).
  std::map<Token, std::uint32_t> poll_once(std::chrono::milliseconds t = 1000ms,
                                           std::size_t capacity = 64) {
    Events events(capacity);
    auto r = poll().poll(events, t);
    EXPECT_TRUE(r) << r.error().message();
    std::map<Token, std::uint32_t> got;
    for (const Event& e : events)
      got[e.token()] |= e.flags();
    return got;
  }

  // Polls until an event for `token` arrives (or `t` passes) and returns its flags (0: none).
  std::uint32_t wait_for(Token token, std::chrono::milliseconds t = 2000ms) {
    const auto deadline = std::chrono::steady_clock::now() + t;
    std::uint32_t flags = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = poll_once(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (auto it = got.find(token); it != got.end()) flags |= it->second;
      if (flags) return flags;
    }
    return flags;
  }

  // Polls for a short while and expects nothing at all.
  void expect_no_events(std::chrono::milliseconds t = 50ms) {
    auto got = poll_once(t);
    for (auto& [token, flags] : got)
      ADD_FAILURE() << "unexpected event for token " << token.value() << " flags " << flags;
  }

 private:
  std::optional<poll::Poll> poll_;
};

#define EVQ_INSTANTIATE_FOR_EVERY_BACKEND(Suite)                                           \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, testing::ValuesIn(evq::poll::backend_names()), \
                           evq::test::backend_test_name)

// A connected TCP pair over loopback: {client, server side}, both non-blocking.
struct TcpPair {
  sys::Fd client;
  sys::Fd server;
};
TcpPair tcp_pair();

// A TCP listener on 127.0.0.1, port 0.
sys::Fd tcp_listener();

// Writes all of `s`, failing the test on error.
void send_all(int fd, std::string_view s);
// Reads until would_block through `source.do_io`; returns what was read and whether EOF was seen.
std::pair<std::string, bool> drain(poll::Source& source);

}  // namespace evq::test
