// The wheel never allocates: inserting, cancelling, advancing (with cascades, the overflow list
// and callbacks that insert) and next_deadline make no heap allocation. This file replaces the
// global operator new for the timer_wheel_test binary, to count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "evq/rt/detail/timer_wheel.hpp"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EVQ_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EVQ_TEST_TSAN 1
#endif

namespace {
thread_local bool counting = false;
thread_local long allocations = 0;
}  // namespace

// The TSan runtime defines operator new itself; there, the test skips.
#ifndef EVQ_TEST_TSAN
// g++ cannot see that these replacements pair malloc with free on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The library's nothrow new (std::stable_sort's buffer) must pair with the delete below too.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

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
#ifdef EVQ_TEST_TSAN
  GTEST_SKIP() << "the TSan runtime owns operator new";
#endif
  TimerWheel wheel(1000);
  static Rearming entries[4096];  // not on the stack: 4096 x 48 bytes
  std::uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  std::size_t fired = 0;
  counting = true;
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
  counting = false;
  EXPECT_EQ(allocations, 0);
  EXPECT_GT(fired, 4096u);
  EXPECT_TRUE(wheel.empty());
}

}  // namespace
}  // namespace evq::rt::detail
