// The wheel never allocates: inserting, cancelling, advancing (with cascades, the overflow list
// and callbacks that insert) and next_deadline make no heap allocation. This file replaces the
// global operator new for the timer_wheel_test binary, to count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "evq/rt/detail/timer_wheel.hpp"

#include "support/counting_new.hpp"

namespace evq::rt::detail {
namespace {

struct Rearming : TimerEntry {
  Rearming() noexcept : TimerEntry(&on_fire) {}
  static void on_fire(TimerEntry& e) noexcept {
    auto& self = static_cast<Rearming&>(e);
    if (self.wheel != nullptr && self.left-- > 0) self.wheel->insert(self, self.wheel->now() + 7);
  }
  TimerWheel* wheel = nullptr;
  int left = 3;
};

TEST(TimerWheelAllocation, InsertCancelAdvanceAndNextDeadlineAllocateNothing) {
  if (!evq::test::kCountingAllocations) GTEST_SKIP() << "the TSan runtime owns operator new";
  TimerWheel wheel(1000);
  static Rearming entries[4096];  // not on the stack: 4096 x 48 bytes
  std::uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  std::size_t fired = 0;
  evq::test::counting_allocations = true;
  for (int round = 0; round < 4; ++round) {
    for (Rearming& e : entries) {
      e.wheel = &wheel;
      e.left = 3;
      const unsigned bits = 1 + static_cast<unsigned>(next() >> 58) % 40;  // up to overflow
      wheel.insert(e, wheel.now() + (next() >> 20) % (1ull << bits));
    }
    for (std::size_t i = 0; i < std::size(entries); i += 3)
      wheel.cancel(entries[i]);
    for (int step = 0; step < 200; ++step) {
      (void)wheel.next_deadline();
      fired += wheel.advance(wheel.now() + (next() >> 40) % 5000);
    }
    fired += wheel.advance(wheel.now() + (1ull << 41));
  }
  evq::test::counting_allocations = false;
  EXPECT_EQ(evq::test::allocations, 0);
  EXPECT_GT(fired, 4096u);
  EXPECT_TRUE(wheel.empty());
}

}  // namespace
}  // namespace evq::rt::detail
