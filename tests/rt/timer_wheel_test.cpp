// TimerWheel: entries fire at their tick (never early, never late) at every level boundary and
// beyond the wheel's range; equal deadlines fire in start order; cancel is safe at any time;
// fire callbacks may insert and cancel; next_deadline is exact; and 100,000 random operations
// fire exactly the sequence a std::map keyed by (deadline, start order) predicts.
#include "evq/rt/detail/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace evq::rt::detail {
namespace {

constexpr std::uint64_t kRange = TimerWheel::kRange;

struct Fired {
  int id;
  std::uint64_t at;  // wheel.now() when it fired
  bool operator==(const Fired&) const = default;
};

void PrintTo(const Fired& f, std::ostream* os) {
  *os << "{" << f.id << " @" << f.at << "}";
}

// A timer owner: logs (id, now) when it fires, then runs `then`. Cancels itself when destroyed,
// as a real owner would.
struct Timer : TimerEntry {
  Timer(TimerWheel& w, std::vector<Fired>& log, int id) noexcept
      : TimerEntry(&on_fire), wheel(w), log(log), id(id) {}
  ~Timer() { wheel.cancel(*this); }

  static void on_fire(TimerEntry& e) noexcept {
    Timer& t = static_cast<Timer&>(e);
    t.log.push_back({t.id, t.wheel.now()});
    if (t.then) t.then(t);
  }

  TimerWheel& wheel;
  std::vector<Fired>& log;
  int id;
  std::function<void(Timer&)> then;
};

// ---- fires at the right tick ----

// Deadlines at and around every level boundary, seen both as distances from the origin and as
// absolute multiples of 64^k, and far beyond the wheel's 2^36-tick range.
std::vector<std::uint64_t> boundary_deadlines(std::uint64_t origin) {
  std::set<std::uint64_t> out;
  const std::uint64_t deltas[] = {1,
                                  2,
                                  63,
                                  64,
                                  65,
                                  127,
                                  128,
                                  129,
                                  4095,
                                  4096,
                                  4097,
                                  262143,
                                  262144,
                                  262145,
                                  (1ull << 24) - 1,
                                  1ull << 24,
                                  (1ull << 24) + 1,
                                  (1ull << 30) - 1,
                                  1ull << 30,
                                  (1ull << 30) + 1,
                                  kRange - 1,
                                  kRange,
                                  kRange + 1,
                                  3 * kRange + 12345,
                                  (1ull << 42) + 17,
                                  1ull << 50};
  for (std::uint64_t d : deltas)
    out.insert(origin + d);
  for (unsigned bits = 6; bits <= 42; bits += 6) {
    const std::uint64_t step = 1ull << bits;
    const std::uint64_t up = (origin / step + 1) * step;  // the next multiple of 64^k
    for (std::uint64_t d : {up - 1, up, up + 1})
      if (d > origin) out.insert(d);
  }
  return {out.begin(), out.end()};
}

class TimerWheelFiresAtItsTick : public testing::TestWithParam<std::uint64_t> {};

TEST_P(TimerWheelFiresAtItsTick, EachDeadlineAloneNotEarlyNotLate) {
  const std::uint64_t origin = GetParam();
  for (std::uint64_t d : boundary_deadlines(origin)) {
    SCOPED_TRACE("deadline = origin + " + std::to_string(d - origin));
    TimerWheel wheel(origin);
    std::vector<Fired> log;
    Timer t(wheel, log, 1);
    wheel.insert(t, d);
    EXPECT_EQ(wheel.next_deadline(), d);
    EXPECT_EQ(wheel.advance(d - 1), 0u);
    EXPECT_TRUE(log.empty());
    EXPECT_TRUE(wheel.inserted(t));
    EXPECT_EQ(wheel.next_deadline(), d);  // still exact after the cascades on the way
    EXPECT_EQ(wheel.advance(d), 1u);
    EXPECT_EQ(log, (std::vector<Fired>{{1, d}}));
    EXPECT_FALSE(wheel.inserted(t));
    EXPECT_EQ(wheel.next_deadline(), std::nullopt);
  }
}

TEST_P(TimerWheelFiresAtItsTick, AllDeadlinesTogetherSteppingThroughEach) {
  const std::uint64_t origin = GetParam();
  const auto deadlines = boundary_deadlines(origin);
  TimerWheel wheel(origin);
  std::vector<Fired> log;
  std::vector<std::unique_ptr<Timer>> timers;
  for (std::size_t i = 0; i < deadlines.size(); ++i) {
    timers.push_back(std::make_unique<Timer>(wheel, log, static_cast<int>(i)));
    wheel.insert(*timers.back(), deadlines[i]);
  }
  for (std::size_t i = 0; i < deadlines.size(); ++i) {
    SCOPED_TRACE("deadline = origin + " + std::to_string(deadlines[i] - origin));
    EXPECT_EQ(wheel.next_deadline(), deadlines[i]);
    EXPECT_EQ(wheel.advance(deadlines[i] - 1), 0u);
    EXPECT_EQ(wheel.advance(deadlines[i]), 1u);
    ASSERT_EQ(log.size(), i + 1);
    EXPECT_EQ(log.back(), (Fired{static_cast<int>(i), deadlines[i]}));
  }
  EXPECT_TRUE(wheel.empty());
}

TEST_P(TimerWheelFiresAtItsTick, TickByTickOverTheFirstLevels) {
  const std::uint64_t origin = GetParam();
  TimerWheel wheel(origin);
  std::vector<Fired> log;
  std::vector<std::unique_ptr<Timer>> timers;
  constexpr int kSpan = 5000;  // levels 0, 1 and into 2
  for (int i = 1; i <= kSpan; ++i) {
    timers.push_back(std::make_unique<Timer>(wheel, log, i));
    wheel.insert(*timers.back(), origin + static_cast<std::uint64_t>(i));
  }
  for (int i = 1; i <= kSpan; ++i) {
    ASSERT_EQ(wheel.advance(origin + static_cast<std::uint64_t>(i)), 1u) << i;
    ASSERT_EQ(log.back(), (Fired{i, origin + static_cast<std::uint64_t>(i)}));
  }
}

TEST_P(TimerWheelFiresAtItsTick, OneFarJumpFiresEverythingInDeadlineOrderEachAtItsTick) {
  const std::uint64_t origin = GetParam();
  TimerWheel wheel(origin);
  std::vector<Fired> log;
  std::vector<std::unique_ptr<Timer>> timers;
  std::mt19937_64 rng(7);
  std::vector<std::pair<std::uint64_t, int>> expected;  // (deadline, id); ids in start order
  for (int i = 0; i < 10000; ++i) {
    const unsigned bits = 1 + static_cast<unsigned>(rng() % 44);  // up to 2^44: into overflow
    const std::uint64_t d = origin + 1 + rng() % (1ull << bits);
    timers.push_back(std::make_unique<Timer>(wheel, log, i));
    wheel.insert(*timers.back(), d);
    expected.push_back({d, i});
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  EXPECT_EQ(wheel.advance(origin + (1ull << 45)), expected.size());
  ASSERT_EQ(log.size(), expected.size());
  for (std::size_t i = 0; i < log.size(); ++i)
    ASSERT_EQ(log[i], (Fired{expected[i].second, expected[i].first})) << i;
}

INSTANTIATE_TEST_SUITE_P(Origin, TimerWheelFiresAtItsTick,
                         testing::Values(0, 1, 37, 4095, 123456789, kRange - 3, 5 * kRange + 1000,
                                         1ull << 60),
                         [](const auto& info) { return "at_" + std::to_string(info.param); });

// ---- ordering ----

TEST(TimerWheel, EqualDeadlinesFireInStartOrderAcrossLevels) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  constexpr std::uint64_t kD = 300000;  // level 3 from 0
  Timer a(wheel, log, 1), b(wheel, log, 2), c(wheel, log, 3), d(wheel, log, 4), e(wheel, log, 5);
  Timer early(wheel, log, 10), late(wheel, log, 11);
  wheel.insert(a, kD);  // level 3
  wheel.insert(late, kD + 1);
  wheel.advance(270000);
  wheel.insert(b, kD);  // level 2, after a cascaded there
  wheel.advance(299000);
  wheel.insert(c, kD);  // level 1
  wheel.insert(early, kD - 1);
  wheel.advance(299990);
  wheel.insert(d, kD);  // level 0
  wheel.advance(299998);
  wheel.insert(e, kD);
  EXPECT_EQ(wheel.advance(kD + 1), 7u);
  EXPECT_EQ(log, (std::vector<Fired>{
                     {10, kD - 1}, {1, kD}, {2, kD}, {3, kD}, {4, kD}, {5, kD}, {11, kD + 1}}));
}

TEST(TimerWheel, EqualDeadlinesFireInStartOrderAcrossTheOverflow) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  const std::uint64_t d = kRange + 5;
  Timer p(wheel, log, 1), q(wheel, log, 2), r(wheel, log, 3), s(wheel, log, 4);
  wheel.insert(p, d);  // beyond the range: overflow
  wheel.advance(kRange - 10);
  wheel.insert(q, d);  // still the next block: overflow
  wheel.advance(kRange);
  wheel.insert(r, d);  // same block now: level 0
  wheel.insert(s, d);
  wheel.advance(d - 1);
  EXPECT_TRUE(log.empty());
  wheel.advance(d);
  EXPECT_EQ(log, (std::vector<Fired>{{1, d}, {2, d}, {3, d}, {4, d}}));
}

TEST(TimerWheel, ReinsertingAnInsertedEntryMovesItAndRestartsItsOrder) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2);
  wheel.insert(a, 100);
  wheel.insert(b, 100);
  wheel.insert(a, 100);  // same deadline, later start: now after b
  EXPECT_EQ(wheel.size(), 2u);
  wheel.advance(100);
  EXPECT_EQ(log, (std::vector<Fired>{{2, 100}, {1, 100}}));
  wheel.insert(a, 5000);
  wheel.insert(a, 50);                     // moved earlier
  EXPECT_EQ(wheel.next_deadline(), 100u);  // due now: 50 is in the past
  wheel.insert(a, 200);
  EXPECT_EQ(wheel.next_deadline(), 200u);
  EXPECT_EQ(wheel.advance(10000), 1u);
  EXPECT_EQ(log.back(), (Fired{1, 200}));
}

// ---- cancel ----

TEST(TimerWheel, CancelledBeforeItsDeadlineNeverFires) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer near(wheel, log, 1), mid(wheel, log, 2), far(wheel, log, 3), over(wheel, log, 4);
  wheel.insert(near, 10);
  wheel.insert(mid, 5000);
  wheel.insert(far, 1ull << 30);
  wheel.insert(over, kRange * 3);
  wheel.advance(4000);  // mid has cascaded meanwhile
  for (Timer* t : {&near, &mid, &far, &over}) {
    if (t == &near) continue;  // already fired
    wheel.cancel(*t);
    EXPECT_FALSE(wheel.inserted(*t));
  }
  EXPECT_TRUE(wheel.empty());
  EXPECT_EQ(wheel.next_deadline(), std::nullopt);
  EXPECT_EQ(wheel.advance(kRange * 4), 0u);
  EXPECT_EQ(log, (std::vector<Fired>{{1, 10}}));
}

TEST(TimerWheel, CancelAfterFiringTwiceOrNeverInsertedIsANoOp) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2), never(wheel, log, 3);
  wheel.cancel(never);
  wheel.insert(a, 5);
  wheel.insert(b, 7);
  wheel.advance(5);
  wheel.cancel(a);  // fired already
  wheel.cancel(b);
  wheel.cancel(b);  // twice
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_EQ(wheel.advance(100), 0u);
  EXPECT_EQ(log, (std::vector<Fired>{{1, 5}}));
  wheel.insert(b, 200);  // a cancelled entry can be inserted again
  EXPECT_EQ(wheel.advance(200), 1u);
}

TEST(TimerWheel, CancellingOneOfEqualDeadlinesKeepsTheOthersInOrder) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  std::vector<std::unique_ptr<Timer>> t;
  for (int i = 0; i < 5; ++i) {
    t.push_back(std::make_unique<Timer>(wheel, log, i));
    wheel.insert(*t.back(), 70000);
  }
  wheel.cancel(*t[0]);
  wheel.cancel(*t[2]);
  wheel.advance(70000);
  EXPECT_EQ(log, (std::vector<Fired>{{1, 70000}, {3, 70000}, {4, 70000}}));
}

// ---- fire callbacks ----

TEST(TimerWheel, InsertFromACallbackForTheSameTickFiresInTheSameAdvanceAfterIt) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2), c(wheel, log, 3), past(wheel, log, 4);
  a.then = [&](Timer&) {
    wheel.insert(c, 10);    // this very tick
    wheel.insert(past, 3);  // already past: due now, after c
  };
  wheel.insert(a, 10);
  wheel.insert(b, 10);
  EXPECT_EQ(wheel.advance(10), 4u);
  EXPECT_EQ(log, (std::vector<Fired>{{1, 10}, {2, 10}, {3, 10}, {4, 10}}));
  EXPECT_EQ(past.deadline(), 10u);
}

TEST(TimerWheel, InsertFromACallbackForALaterTickFiresAtThatTick) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2), c(wheel, log, 3), d(wheel, log, 4);
  a.then = [&](Timer&) {
    wheel.insert(b, 15);    // inside this advance
    wheel.insert(c, 5000);  // beyond it, at a higher level
  };
  wheel.insert(a, 10);
  wheel.insert(d, 20);
  EXPECT_EQ(wheel.advance(100), 3u);
  EXPECT_EQ(log, (std::vector<Fired>{{1, 10}, {2, 15}, {4, 20}}));
  EXPECT_EQ(wheel.next_deadline(), 5000u);
  EXPECT_EQ(wheel.advance(4999), 0u);
  EXPECT_EQ(wheel.advance(5000), 1u);
  EXPECT_EQ(log.back(), (Fired{3, 5000}));
}

TEST(TimerWheel, ACallbackReinsertingItselfMakesAPeriodicTimer) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer tick(wheel, log, 1);
  tick.then = [&](Timer& self) { wheel.insert(self, wheel.now() + 100); };
  wheel.insert(tick, 100);
  EXPECT_EQ(wheel.advance(1050), 10u);
  ASSERT_EQ(log.size(), 10u);
  for (std::size_t i = 0; i < log.size(); ++i)
    EXPECT_EQ(log[i].at, 100 * (i + 1));
  EXPECT_TRUE(wheel.inserted(tick));
  EXPECT_EQ(wheel.next_deadline(), 1100u);
}

TEST(TimerWheel, ACallbackMayCancelOtherEntriesDueNowOrLaterAndItself) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), same_tick(wheel, log, 2), later(wheel, log, 3), kept(wheel, log, 4);
  a.then = [&](Timer& self) {
    wheel.cancel(same_tick);  // already moved to the due list with a
    wheel.cancel(later);
    wheel.cancel(self);  // fired: a no-op
  };
  wheel.insert(a, 64);  // a level-1 slot start: cascades, then fires
  wheel.insert(same_tick, 64);
  wheel.insert(later, 65);
  wheel.insert(kept, 66);
  EXPECT_EQ(wheel.advance(1000), 2u);
  EXPECT_EQ(log, (std::vector<Fired>{{1, 64}, {4, 66}}));
  EXPECT_TRUE(wheel.empty());
}

// ---- time ----

TEST(TimerWheel, PastDeadlinesAreDueNowAndFireOnTheNextAdvanceInStartOrder) {
  TimerWheel wheel(1000);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2), c(wheel, log, 3);
  wheel.insert(a, 500);
  wheel.insert(b, 0);
  wheel.insert(c, 1000);  // exactly now
  EXPECT_EQ(a.deadline(), 1000u);
  EXPECT_EQ(wheel.next_deadline(), 1000u);
  EXPECT_EQ(wheel.advance(1000), 3u);  // same time: still fires what is due
  EXPECT_EQ(log, (std::vector<Fired>{{1, 1000}, {2, 1000}, {3, 1000}}));
}

TEST(TimerWheel, AdvanceToAnOlderTimeDoesNotMoveTimeBack) {
  TimerWheel wheel(1000);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2);
  wheel.insert(a, 1001);
  EXPECT_EQ(wheel.advance(10), 0u);
  EXPECT_EQ(wheel.now(), 1000u);
  wheel.insert(b, 900);  // past: due at 1000
  EXPECT_EQ(wheel.advance(999), 1u);
  EXPECT_EQ(wheel.now(), 1000u);
  EXPECT_EQ(wheel.advance(1001), 1u);
  EXPECT_EQ(log, (std::vector<Fired>{{2, 1000}, {1, 1001}}));
}

TEST(TimerWheel, NextDeadlineIsExactAfterInsertsCancelsAndAdvances) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  Timer a(wheel, log, 1), b(wheel, log, 2), c(wheel, log, 3), d(wheel, log, 4), e(wheel, log, 5);
  EXPECT_EQ(wheel.next_deadline(), std::nullopt);
  wheel.insert(a, 300017);  // level 3, not at its slot's start
  EXPECT_EQ(wheel.next_deadline(), 300017u);
  wheel.insert(b, 300005);  // same slot, earlier
  EXPECT_EQ(wheel.next_deadline(), 300005u);
  wheel.insert(c, 300005);
  wheel.cancel(b);  // one of two at the minimum
  EXPECT_EQ(wheel.next_deadline(), 300005u);
  wheel.cancel(c);  // the last at the minimum: rescan
  EXPECT_EQ(wheel.next_deadline(), 300017u);
  wheel.insert(d, 4100);  // level 1
  EXPECT_EQ(wheel.next_deadline(), 4100u);
  wheel.insert(e, 3 * kRange + 9);  // overflow
  wheel.cancel(d);
  EXPECT_EQ(wheel.next_deadline(), 300017u);
  wheel.advance(300000);  // cascades a's slot
  EXPECT_EQ(wheel.next_deadline(), 300017u);
  wheel.advance(300017);
  EXPECT_EQ(wheel.next_deadline(), 3 * kRange + 9);
  wheel.insert(d, 1);  // past
  EXPECT_EQ(wheel.next_deadline(), 300017u);
  wheel.advance(300018);
  EXPECT_EQ(wheel.next_deadline(), 3 * kRange + 9);
  wheel.advance(3 * kRange);
  EXPECT_EQ(wheel.next_deadline(), 3 * kRange + 9);
  wheel.cancel(e);
  EXPECT_EQ(wheel.next_deadline(), std::nullopt);
}

// One level-2 slot (4096 ticks) filled in deadline order, then out of order; its minimum is
// cancelled again and again, with cancels elsewhere in between.
TEST(TimerWheel, NextDeadlineStaysExactWhileASlotLosesItsMinimumOverAndOver) {
  for (const bool in_order : {true, false}) {
    SCOPED_TRACE(in_order ? "in deadline order" : "out of order");
    TimerWheel wheel(0);
    std::vector<Fired> log;
    std::vector<std::unique_ptr<Timer>> t;
    std::multimap<std::uint64_t, Timer*> by_deadline;
    std::mt19937_64 rng(11);
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t d =
          in_order ? 8192 + static_cast<std::uint64_t>(i) * 2 : 8192 + rng() % 4096;
      t.push_back(std::make_unique<Timer>(wheel, log, i));
      wheel.insert(*t.back(), d);
      by_deadline.emplace(d, t.back().get());
    }
    while (!by_deadline.empty()) {
      ASSERT_EQ(wheel.next_deadline(), by_deadline.begin()->first);
      auto victim = by_deadline.begin();
      if (rng() % 4 == 0) victim = std::next(victim, static_cast<long>(rng() % by_deadline.size()));
      wheel.cancel(*victim->second);
      by_deadline.erase(victim);
    }
    EXPECT_EQ(wheel.next_deadline(), std::nullopt);
  }
}

// next_deadline sorts a slot filled out of order once its cached minimum is gone; equal
// deadlines must still fire in start order afterwards.
TEST(TimerWheel, SortingASlotForNextDeadlineKeepsEqualDeadlinesInStartOrder) {
  TimerWheel wheel(0);
  std::vector<Fired> log;
  std::vector<std::unique_ptr<Timer>> t;
  const std::uint64_t deadlines[] = {9000, 8500, 9000, 8300, 8500, 9000, 8300, 8200, 8500};
  for (std::uint64_t d : deadlines) {
    t.push_back(std::make_unique<Timer>(wheel, log, static_cast<int>(t.size())));
    wheel.insert(*t.back(), d);  // one level-2 slot: 8192..12287
  }
  EXPECT_EQ(wheel.next_deadline(), 8200u);
  wheel.cancel(*t[7]);  // the only 8200: the cache is stale, the slot gets sorted
  EXPECT_EQ(wheel.next_deadline(), 8300u);
  wheel.insert(*t[7], 8300);  // out of order again, after the other 8300s
  EXPECT_EQ(wheel.next_deadline(), 8300u);
  wheel.advance(20000);
  EXPECT_EQ(log, (std::vector<Fired>{{3, 8300},
                                     {6, 8300},
                                     {7, 8300},
                                     {1, 8500},
                                     {4, 8500},
                                     {8, 8500},
                                     {0, 9000},
                                     {2, 9000},
                                     {5, 9000}}));
}

TEST(TimerWheel, DestroyingTheWheelDetachesItsEntriesWithoutFiringThem) {
  std::vector<Fired> log;
  auto wheel = std::make_unique<TimerWheel>(0);
  TimerEntry entries[3];
  for (TimerEntry& e : entries)
    e.fire = [](TimerEntry&) noexcept { ADD_FAILURE() << "fired"; };
  wheel->insert(entries[0], 0);
  wheel->insert(entries[1], 100);
  wheel->insert(entries[2], kRange * 2);
  wheel.reset();
  for (TimerEntry& e : entries)
    EXPECT_FALSE(TimerWheel::inserted(e));
}

// ---- against a reference model ----

// The specification, written the obvious way: a map ordered by (deadline, start order), where a
// deadline in the past means "now".
class Reference {
 public:
  explicit Reference(std::uint64_t now) : now_(now) {}
  void insert(int id, std::uint64_t deadline) {
    cancel(id);
    const Key k{std::max(deadline, now_), seq_++};
    queue_.emplace(k, id);
    key_of_[id] = k;
  }
  void cancel(int id) {
    auto it = key_of_.find(id);
    if (it == key_of_.end()) return;
    queue_.erase(it->second);
    key_of_.erase(it);
  }
  // The next entry to fire, if its deadline is <= now.
  std::optional<std::pair<std::uint64_t, int>> pop_due(std::uint64_t now) {
    if (queue_.empty() || queue_.begin()->first.first > now) return std::nullopt;
    auto [key, id] = *queue_.begin();
    queue_.erase(queue_.begin());
    key_of_.erase(id);
    now_ = key.first;
    return std::pair{key.first, id};
  }
  void set_now(std::uint64_t now) { now_ = std::max(now_, now); }
  std::optional<std::uint64_t> next_deadline() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.begin()->first.first;
  }
  std::size_t size() const { return queue_.size(); }

 private:
  using Key = std::pair<std::uint64_t, std::uint64_t>;
  std::uint64_t now_;
  std::uint64_t seq_ = 0;
  std::map<Key, int> queue_;
  std::map<int, Key> key_of_;
};

struct ModelParam {
  std::uint64_t seed;
  std::uint64_t origin;
};

class TimerWheelAgainstReference : public testing::TestWithParam<ModelParam> {};

// Wheel and reference run in lockstep: each fire callback pops the reference's next entry and
// compares, then both sides get the same random inserts and cancels.
TEST_P(TimerWheelAgainstReference, HundredThousandRandomOperationsFireTheExactSequence) {
  const auto [seed, origin] = GetParam();
  std::mt19937_64 rng(seed);
  auto below = [&](std::uint64_t n) { return n == 0 ? 0 : rng() % n; };
  TimerWheel wheel(origin);
  Reference ref(origin);
  std::vector<Fired> log;
  constexpr int kTimers = 1000;
  std::vector<std::unique_ptr<Timer>> timers;
  std::uint64_t target = origin;  // the time the running advance() goes to
  std::size_t ref_fired = 0;
  bool diverged = false;

  // A deadline seen from `now`: mostly near, some far, some past, some beyond the range.
  auto pick_deadline = [&](std::uint64_t now) -> std::uint64_t {
    const std::uint64_t r = below(100);
    if (r < 40) return now + below(70);
    if (r < 65) return now + below(5000);
    if (r < 80) return now + below(1ull << 20);
    if (r < 88) return now + below(kRange + (kRange >> 2));
    if (r < 90) return now + below(1ull << 44);
    if (r < 93) return ((now >> 12) + 1 + below(3)) << 12 | below(3);  // equal, out of order
    if (r < 97) return now - std::min(now, below(100));
    return now;
  };
  auto random_insert = [&](std::uint64_t now) {
    const int id = static_cast<int>(below(kTimers));
    const std::uint64_t d = pick_deadline(now);
    wheel.insert(*timers[id], d);
    ref.insert(id, d);
  };
  auto random_cancel = [&] {
    const int id = static_cast<int>(below(kTimers));
    wheel.cancel(*timers[id]);
    ref.cancel(id);
  };

  auto on_fire = [&](Timer& t) {
    const auto expected = ref.pop_due(target);
    ++ref_fired;
    if (!expected || expected->second != t.id || expected->first != wheel.now()) {
      if (!diverged) {
        ADD_FAILURE() << "fired " << t.id << " at " << wheel.now() << ", reference expected "
                      << (expected ? std::to_string(expected->second) + " at " +
                                         std::to_string(expected->first)
                                   : std::string("nothing"));
      }
      diverged = true;
      return;
    }
    // Callbacks insert (others, or themselves again), cancel, at this tick, later or in the
    // past; fewer than one insert per fire on average, so every advance ends.
    const std::uint64_t r = below(100);
    if (r < 20) {
      random_insert(wheel.now());
    } else if (r < 30) {
      random_cancel();
    } else if (r < 35) {
      const std::uint64_t d = wheel.now() + below(3);
      wheel.insert(t, d);
      ref.insert(t.id, d);
    }
  };
  for (int i = 0; i < kTimers; ++i) {
    timers.push_back(std::make_unique<Timer>(wheel, log, i));
    timers.back()->then = on_fire;
  }

  for (int op = 0; op < 100000 && !diverged; ++op) {
    const std::uint64_t r = below(100);
    if (r < 45) {
      random_insert(wheel.now());
    } else if (r < 65) {
      random_cancel();
    } else {
      const std::uint64_t s = below(100);
      std::uint64_t step = below(4);
      if (s >= 60) step = below(200);
      if (s >= 85) step = below(100000);
      if (s >= 95) step = below(1ull << 30);
      if (s >= 99) step = below(1ull << 38);
      std::uint64_t to = wheel.now() + step;
      if (below(50) == 0) to = wheel.now() - std::min(wheel.now(), below(1000));  // older
      target = std::max(wheel.now(), to);
      ref_fired = 0;
      const std::size_t fired = wheel.advance(to);
      ASSERT_FALSE(diverged) << "op " << op;
      EXPECT_EQ(fired, ref_fired) << "op " << op;
      // Nothing at or before the target is left behind.
      ASSERT_EQ(ref.pop_due(target), std::nullopt) << "op " << op;
      ref.set_now(target);
      ASSERT_EQ(wheel.now(), target);
    }
    ASSERT_EQ(wheel.next_deadline(), ref.next_deadline()) << "op " << op;
    ASSERT_EQ(wheel.size(), ref.size()) << "op " << op;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, TimerWheelAgainstReference,
                         testing::Values(ModelParam{1, 0}, ModelParam{2, 123456789},
                                         ModelParam{3, kRange - 50000}),
                         [](const auto& info) {
                           return "seed_" + std::to_string(info.param.seed);
                         });

TEST(TimerWheel, EntriesAreSmall) {
  EXPECT_LE(sizeof(TimerEntry), 48u);
}

}  // namespace
}  // namespace evq::rt::detail
