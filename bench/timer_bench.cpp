// timer_bench: evq's TimerWheel against the two classic timer queues, in one binary.
//
// Every benchmark runs on three queues with the same interface, named BM_<Operation>/<queue>:
//   wheel     rt::detail::TimerWheel: intrusive entries, 6 levels x 64 slots (O(1) insert and
//             cancel).
//   multimap  std::multimap<deadline, node*>, each node keeping its iterator: O(log n) insert
//             and cancel, one allocation per insert (equal deadlines stay in start order).
//   heap      an intrusive binary min-heap on (deadline, start order), each node knowing its
//             index (libuv's and Go's design): O(log n) insert and cancel, no allocation.
// Pending timers have deadlines spread uniformly over the next minute (1 ms ticks).
//
//   BM_InsertCancel/<q>/<pending>     insert one timer (now + 30 s) and cancel it, with
//                                     <pending> others waiting: the common case, since most
//                                     timeouts are cancelled before they fire.
//   BM_InsertAdvance/<q>/<n>          insert <n> timers, then advance 1 ms at a time through the
//                                     minute, firing all of them; per timer.
//   BM_NextDeadline/<q>/<pending>     next_deadline() with <pending> waiting (called every loop
//                                     turn).
//   BM_CancelFirstNextDeadline/<q>/<pending>
//                                     fixed-length timeouts completing in order: cancel the
//                                     earliest, re-insert it one step after the latest, then
//                                     next_deadline(). Every cancel removes the minimum.
//   BM_CancelInDeadlineOrder/<q>/<pending>
//                                     the wheel's worst case: timers inserted in random deadline
//                                     order, cancelled in deadline order with time standing
//                                     still, next_deadline() after each cancel, so every cancel
//                                     makes the slot's cached minimum stale and next_deadline()
//                                     rescans the slot (up to 4096 ms of deadlines).
//
// Run pinned to one core, e.g.
//   taskset -c 1 timer_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "evq/rt/detail/timer_wheel.hpp"

namespace {

using evq::rt::detail::TimerEntry;
using evq::rt::detail::TimerWheel;

constexpr std::uint64_t kSpreadMs = 60'000;  // pending deadlines: uniform over a minute
constexpr std::uint64_t kTimeoutMs = 30'000;

std::size_t g_fired = 0;  // what fire callbacks count (all queues)

// ---- the three queues, one interface: Node, insert, cancel, next_deadline, advance ----

class WheelQueue {
 public:
  struct Node : TimerEntry {
    Node() noexcept : TimerEntry([](TimerEntry&) noexcept { ++g_fired; }) {}
  };
  explicit WheelQueue(std::uint64_t now) noexcept : wheel_(now) {}
  void insert(Node& n, std::uint64_t deadline) noexcept { wheel_.insert(n, deadline); }
  void cancel(Node& n) noexcept { wheel_.cancel(n); }
  std::optional<std::uint64_t> next_deadline() noexcept { return wheel_.next_deadline(); }
  std::size_t advance(std::uint64_t now) noexcept { return wheel_.advance(now); }

 private:
  TimerWheel wheel_;
};

class MultimapQueue {
 public:
  struct Node {
    std::multimap<std::uint64_t, Node*>::iterator it;
    bool linked = false;
  };
  explicit MultimapQueue(std::uint64_t now) noexcept : now_(now) {}
  void insert(Node& n, std::uint64_t deadline) {
    cancel(n);
    n.it = map_.emplace(std::max(deadline, now_), &n);  // after equal keys: start order
    n.linked = true;
  }
  void cancel(Node& n) noexcept {
    if (!n.linked) return;
    map_.erase(n.it);
    n.linked = false;
  }
  std::optional<std::uint64_t> next_deadline() const noexcept {
    if (map_.empty()) return std::nullopt;
    return map_.begin()->first;
  }
  std::size_t advance(std::uint64_t now) noexcept {
    now_ = std::max(now_, now);
    std::size_t fired = 0;
    while (!map_.empty() && map_.begin()->first <= now_) {
      map_.begin()->second->linked = false;
      map_.erase(map_.begin());
      ++g_fired;
      ++fired;
    }
    return fired;
  }

 private:
  std::uint64_t now_;
  std::multimap<std::uint64_t, Node*> map_;
};

class HeapQueue {
 public:
  struct Node {
    std::uint64_t deadline = 0;
    std::uint64_t seq = 0;
    std::size_t index = kNone;  // position in heap_, kNone when not inserted
  };
  explicit HeapQueue(std::uint64_t now) : now_(now) {}
  void reserve(std::size_t n) { heap_.reserve(n); }
  void insert(Node& n, std::uint64_t deadline) {
    cancel(n);
    n.deadline = std::max(deadline, now_);
    n.seq = seq_++;
    n.index = heap_.size();
    heap_.push_back(&n);
    up(n.index);
  }
  void cancel(Node& n) noexcept {
    if (n.index == kNone) return;
    const std::size_t i = n.index;
    n.index = kNone;
    Node* last = heap_.back();
    heap_.pop_back();
    if (last == &n) return;
    heap_[i] = last;
    last->index = i;
    up(i);
    down(last->index);
  }
  std::optional<std::uint64_t> next_deadline() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return heap_.front()->deadline;
  }
  std::size_t advance(std::uint64_t now) noexcept {
    now_ = std::max(now_, now);
    std::size_t fired = 0;
    while (!heap_.empty() && heap_.front()->deadline <= now_) {
      cancel(*heap_.front());
      ++g_fired;
      ++fired;
    }
    return fired;
  }

 private:
  static constexpr std::size_t kNone = SIZE_MAX;
  static bool before(const Node* a, const Node* b) noexcept {
    return a->deadline != b->deadline ? a->deadline < b->deadline : a->seq < b->seq;
  }
  void put(std::size_t i, Node* n) noexcept {
    heap_[i] = n;
    n->index = i;
  }
  void up(std::size_t i) noexcept {
    Node* n = heap_[i];
    while (i > 0 && before(n, heap_[(i - 1) / 2])) {
      put(i, heap_[(i - 1) / 2]);
      i = (i - 1) / 2;
    }
    put(i, n);
  }
  void down(std::size_t i) noexcept {
    Node* n = heap_[i];
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= heap_.size()) break;
      if (c + 1 < heap_.size() && before(heap_[c + 1], heap_[c])) ++c;
      if (!before(heap_[c], n)) break;
      put(i, heap_[c]);
      i = c;
    }
    put(i, n);
  }

  std::uint64_t now_;
  std::uint64_t seq_ = 0;
  std::vector<Node*> heap_;
};

// ---- helpers ----

template <class Q>
void reserve(Q& q, std::size_t n) {
  if constexpr (requires { q.reserve(n); }) q.reserve(n);
}

// `n` deadlines after `now`, uniform over kSpreadMs, in a fixed pseudo-random order.
std::vector<std::uint64_t> spread_deadlines(std::size_t n, std::uint64_t now) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> d(n);
  for (auto& x : d)
    x = now + 1 + rng() % kSpreadMs;
  return d;
}

// ---- benchmarks ----

template <class Q>
void BM_InsertCancel(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Q q(0);
  reserve(q, pending + 1);
  auto nodes = std::make_unique<typename Q::Node[]>(pending + 1);
  const auto deadlines = spread_deadlines(pending, 0);
  for (std::size_t i = 0; i < pending; ++i)
    q.insert(nodes[i], deadlines[i]);
  typename Q::Node& x = nodes[pending];
  std::uint64_t i = 0;
  for (auto _ : state) {
    q.insert(x, kTimeoutMs + (i++ & 1023));
    q.cancel(x);
  }
  benchmark::DoNotOptimize(q.next_deadline());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  for (std::size_t k = 0; k < pending; ++k)
    q.cancel(nodes[k]);
}

template <class Q>
void BM_InsertAdvance(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto nodes = std::make_unique<typename Q::Node[]>(n);
  const auto deadlines = spread_deadlines(n, 0);
  for (auto _ : state) {
    Q q(0);
    reserve(q, n);
    g_fired = 0;
    for (std::size_t i = 0; i < n; ++i)
      q.insert(nodes[i], deadlines[i]);
    for (std::uint64_t now = 1; now <= kSpreadMs; ++now)
      q.advance(now);
    if (g_fired != n) state.SkipWithError("not every timer fired");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <class Q>
void BM_NextDeadline(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Q q(0);
  reserve(q, pending);
  auto nodes = std::make_unique<typename Q::Node[]>(pending);
  const auto deadlines = spread_deadlines(pending, 0);
  for (std::size_t i = 0; i < pending; ++i)
    q.insert(nodes[i], deadlines[i]);
  for (auto _ : state)
    benchmark::DoNotOptimize(q.next_deadline());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  for (std::size_t k = 0; k < pending; ++k)
    q.cancel(nodes[k]);
}

template <class Q>
void BM_CancelFirstNextDeadline(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Q q(0);
  reserve(q, pending);
  auto nodes = std::make_unique<typename Q::Node[]>(pending);
  // Node k % pending holds deadline 1 + k * kSpreadMs / pending: a FIFO in deadline order.
  auto deadline_of = [&](std::uint64_t k) { return 1 + k * kSpreadMs / pending; };
  for (std::size_t i = 0; i < pending; ++i)
    q.insert(nodes[i], deadline_of(i));
  std::uint64_t first = 0;
  for (auto _ : state) {
    typename Q::Node& n = nodes[first % pending];
    q.cancel(n);
    q.insert(n, deadline_of(first + pending));
    ++first;
    benchmark::DoNotOptimize(q.next_deadline());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  for (std::size_t k = 0; k < pending; ++k)
    q.cancel(nodes[k]);
}

template <class Q>
void BM_CancelInDeadlineOrder(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  Q q(0);
  reserve(q, pending);
  auto nodes = std::make_unique<typename Q::Node[]>(pending);
  const auto deadlines = spread_deadlines(pending, 0);
  std::vector<std::size_t> order(pending);  // node indices by deadline
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return deadlines[a] < deadlines[b]; });
  std::size_t next = pending;
  for (auto _ : state) {
    if (next == pending) {
      state.PauseTiming();
      for (std::size_t i = 0; i < pending; ++i)
        q.insert(nodes[i], deadlines[i]);  // random deadline order
      next = 0;
      state.ResumeTiming();
    }
    q.cancel(nodes[order[next++]]);
    benchmark::DoNotOptimize(q.next_deadline());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  for (std::size_t k = 0; k < pending; ++k)
    q.cancel(nodes[k]);
}

void pending_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
}

#define EVQ_TIMER_BENCH(fn, args)                                            \
  BENCHMARK_TEMPLATE(fn, WheelQueue)->Name(#fn "/wheel")->Apply(args);       \
  BENCHMARK_TEMPLATE(fn, MultimapQueue)->Name(#fn "/multimap")->Apply(args); \
  BENCHMARK_TEMPLATE(fn, HeapQueue)->Name(#fn "/heap")->Apply(args)

EVQ_TIMER_BENCH(BM_InsertCancel, pending_sizes);
EVQ_TIMER_BENCH(BM_InsertAdvance,
                [](auto* b) { b->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond); });
EVQ_TIMER_BENCH(BM_NextDeadline, [](auto* b) { b->Arg(100'000); });
EVQ_TIMER_BENCH(BM_CancelFirstNextDeadline, pending_sizes);
EVQ_TIMER_BENCH(BM_CancelInDeadlineOrder, [](auto* b) { b->Arg(100'000); });

}  // namespace

BENCHMARK_MAIN();
