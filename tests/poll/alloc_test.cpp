// Hot paths allocate nothing: after warm-up, polling, waking and re-arming make no heap
// allocation on any backend. Its own binary, because it replaces the global operator new.
#include <cstdlib>
#include <new>

#include "evq/poll/waker.hpp"
#include "util.hpp"

#include "support/counting_new.hpp"

namespace evq::test {
namespace {

class NoAllocation : public PollTest {};

TEST_P(NoAllocation, PollWakeAndRearmAllocateNothingAfterWarmUp) {
  auto waker = poll::Waker::create(registry(), Token(100));
  ASSERT_TRUE(waker);
  std::vector<TcpPair> pairs;
  std::vector<poll::Source> sources;
  for (int i = 0; i < 8; ++i) {
    pairs.push_back(tcp_pair());
    sources.emplace_back(std::move(pairs.back().server));
    ASSERT_TRUE(registry().register_(sources.back(), Token(i), Interest::READABLE));
  }
  Events events(16);
  auto round = [&] {
    for (auto& p : pairs)
      (void)sys::send(p.client.get(), sys::bytes("ping"));
    waker->wake();
    std::size_t seen = 0;
    while (seen < pairs.size() + 1) {
      if (!poll().poll(events, 1s) || events.empty()) return false;
      for (const Event& e : events) {
        ++seen;
        if (e.token() == Token(100)) continue;
        char buf[64];
        auto& s = sources[e.token().value()];
        while (
            s.do_io(Interest::READABLE, [&](int fd) { return sys::read(fd, buf, sizeof(buf)); })) {
        }
      }
    }
    return true;
  };
  ASSERT_TRUE(round());  // warm-up: scratch buffers reach their size
  evq::test::counting_allocations = true;
  bool ok = true;
  for (int i = 0; i < 100 && ok; ++i)
    ok = round();
  evq::test::counting_allocations = false;
  ASSERT_TRUE(ok);
  EXPECT_EQ(evq::test::allocations, 0);
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(NoAllocation);

}  // namespace
}  // namespace evq::test
