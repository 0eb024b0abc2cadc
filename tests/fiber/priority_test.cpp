// Fiber priorities (seed 001: "you are in full control over how threads are scheduled and can
// prioritize them differently"): a high-priority fiber that sleeps and wakes keeps a low wake-up
// latency while 10,000 low-priority fibers are always runnable. The same fiber at normal
// priority as theirs, for comparison, waits behind whole rounds of them. Figures are printed for
// the log.
#include <gtest/gtest.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <vector>

#include "evq/fiber/runtime.hpp"
#include "rt/make_runtime.hpp"

namespace evq::fiber {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

constexpr int kLowFibers = 10'000;

// About `d` of CPU work, without suspending.
void spin(std::chrono::nanoseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

struct Lateness {
  std::vector<double> ms;  // how late each wake-up was
  double round_ms = 0;     // how long one round of every low fiber took
  [[nodiscard]] double at(double q) const {
    auto v = ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  }
};

// A fiber at `priority` sleeps 2 ms 30 times and records how late it woke, while kLowFibers
// low-priority fibers each spin ~1 us and yield, over and over.
Lateness measure(rt::Priority priority) {
  auto rt = rt::test::make_runtime();
  Lateness out;
  rt.block_on(run([&] {
    bool stop = false;
    std::uint64_t slices = 0;
    std::vector<rt::JoinHandle<void>> low;
    low.reserve(kLowFibers);
    for (int i = 0; i < kLowFibers; ++i) {
      low.push_back(spawn(
          [&] {
            for (int k = 0; k < 100'000 && !stop; ++k) {  // bounded
              spin(1us);
              ++slices;
              yield_now();
            }
          },
          SpawnOptions{.priority = rt::Priority::low}));
    }
    for (int i = 0; i < 10'000 && slices < 2 * kLowFibers; ++i)  // two rounds: all started
      sleep(1ms);
    const std::uint64_t s0 = slices;
    const auto t0 = Clock::now();
    auto sleeper = spawn(
        [&] {
          for (int i = 0; i < 30; ++i) {
            const auto due = Clock::now() + 2ms;
            sleep_until(due);
            out.ms.push_back(Ms(Clock::now() - due).count());
          }
        },
        SpawnOptions{.priority = priority});
    EXPECT_TRUE(await(sleeper));
    out.round_ms = Ms(Clock::now() - t0).count() * kLowFibers /
                   static_cast<double>(std::max<std::uint64_t>(slices - s0, 1));
    stop = true;
    for (auto& h : low)
      EXPECT_TRUE(await(h));
  }));
  return out;
}

TEST(FiberPriority, AHighPriorityFiberWakesOnTimeWhileTenThousandLowOnesRun) {
  const Lateness high = measure(rt::Priority::high);
  const Lateness same = measure(rt::Priority::low);
  std::cout << std::fixed << std::setprecision(2) << "[ figures  ] one round of " << kLowFibers
            << " runnable low fibers: " << high.round_ms << " ms; wake-up lateness: high p50 "
            << high.at(0.5) << " ms, p99 " << high.at(0.99)
            << " ms; at the low fibers' own priority: p50 " << same.at(0.5) << " ms, p99 "
            << same.at(0.99) << " ms\n";
  ASSERT_EQ(high.ms.size(), 30u);
  // Timers have 1 ms resolution; a high fiber is interrupted into at most every 64 low slices.
  EXPECT_LT(high.at(0.99), 3.0 + high.round_ms / 10);
  // Without priority it waits for the round (the test's premise: the low fibers do load it).
  EXPECT_GT(same.at(0.5), high.at(0.5));
}

}  // namespace
}  // namespace evq::fiber
