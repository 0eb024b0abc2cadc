// poll_bench: what evq::poll costs over the same operations written directly on epoll.
//
// Every benchmark comes as a pair in one binary, named BM_<Operation>/evq and BM_<Operation>/raw:
// the evq side runs on the epoll backend (named explicitly, so EVQ_BACKEND changes nothing), the
// raw side makes the syscalls a hand-written event loop would make. Both sides do the same work,
// use Events / epoll_event buffers of the same capacity, and check every result: a failed call or
// an unexpected event stops the benchmark with SkipWithError. BM_<Operation>/evq_pollbackend
// runs the evq side on the poll(2) backend, for information only (poll(2) is O(registered fds)).
//
//   BM_WakerRoundTrip            Waker::wake + Poll::poll(nullopt) returning the waker event;
//                                raw: write(eventfd, 1) + epoll_wait(-1) + read(eventfd) (the
//                                eventfd registered EPOLLIN|EPOLLET).
//   BM_WakerRoundTripTimeout0    the same with a zero timeout (Poll::poll(0ns), epoll_wait(0)).
//   BM_RegisterDeregister        Registry::register_(fd, READABLE) + deregister(fd) of an eventfd;
//                                raw: epoll_ctl ADD (EPOLLIN|EPOLLRDHUP|EPOLLET) + DEL.
//   BM_RegisterDeregisterSocket  the same on an unconnected TCP socket.
//   BM_Poll10kIdle               one Poll::poll(0ns) / epoll_wait(0) with 10,000 idle eventfds
//                                registered (plus, on both sides, one wake-up eventfd).
//
// Run pinned to one core, e.g.
//   taskset -c 1 poll_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evq/poll/event.hpp"
#include "evq/poll/interest.hpp"
#include "evq/poll/poll.hpp"
#include "evq/poll/token.hpp"
#include "evq/poll/waker.hpp"
#include "evq/sys/fd.hpp"

namespace {

using evq::poll::Event;
using evq::poll::Events;
using evq::poll::Interest;
using evq::poll::Poll;
using evq::poll::PollOptions;
using evq::poll::Token;
using evq::poll::Waker;
using evq::sys::Fd;
using Timeout = std::optional<std::chrono::nanoseconds>;

constexpr std::size_t kCapacity = 1024;  // Events capacity = raw epoll_event buffer length
constexpr std::size_t kIdleFds = 10'000;
constexpr std::uintptr_t kWakerToken = 1;
constexpr std::uintptr_t kSourceToken = 2;
constexpr std::uintptr_t kFirstIdleToken = 100;
// What evq's epoll backend asks for: READABLE is EPOLLIN|EPOLLRDHUP, always edge-triggered.
constexpr std::uint32_t kRawReadable = EPOLLIN | EPOLLRDHUP | EPOLLET;
// A typical hand-written waker: an eventfd, edge-triggered.
constexpr std::uint32_t kRawWaker = EPOLLIN | EPOLLET;

// ---- setup helpers: on failure they stop the benchmark and return nothing ----

void skip(benchmark::State& state, std::string_view what, std::string_view why) {
  std::string msg(what);
  msg += ": ";
  msg += why;
  state.SkipWithError(msg.c_str());  // copies the message
}

void skip_errno(benchmark::State& state, std::string_view what) {
  skip(state, what, std::strerror(errno));
}

std::optional<Poll> make_poll(benchmark::State& state, std::string_view backend) {
  auto poll = Poll::create(PollOptions{.backend = backend});
  if (!poll) {
    skip(state, "Poll::create", poll.error().message());
    return std::nullopt;
  }
  if (poll->backend_name() != backend) {
    skip(state, "Poll::create", "got another backend than the one asked for");
    return std::nullopt;
  }
  return std::move(*poll);
}

Fd make_epoll(benchmark::State& state) {
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) skip_errno(state, "epoll_create1");
  return ep;
}

Fd make_eventfd(benchmark::State& state) {
  Fd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) skip_errno(state, "eventfd");
  return fd;
}

Fd make_socket(benchmark::State& state) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) skip_errno(state, "socket");
  return fd;
}

bool raw_add(benchmark::State& state, int ep, int fd, std::uint32_t events, std::uintptr_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    skip_errno(state, "epoll_ctl(ADD)");
    return false;
  }
  return true;
}

// The idle descriptors: created once, shared by every run of BM_Poll10kIdle (the fd limit here
// is 20,000, so the evq and raw sides cannot each own 10,000).
std::vector<Fd>& idle_pool() {
  static std::vector<Fd> pool;
  return pool;
}

bool fill_idle_pool(benchmark::State& state) {
  auto& pool = idle_pool();
  pool.reserve(kIdleFds);
  while (pool.size() < kIdleFds) {
    Fd fd = make_eventfd(state);
    if (!fd) return false;
    pool.push_back(std::move(fd));
  }
  return true;
}

// ---- 1. waker -> event round trip ----

void waker_evq(benchmark::State& state, std::string_view backend, Timeout timeout) {
  auto poll = make_poll(state, backend);
  if (!poll) return;
  auto waker = Waker::create(poll->registry(), Token(kWakerToken));
  if (!waker) return skip(state, "Waker::create", waker.error().message());
  Events events(kCapacity);
  for (auto _ : state) {
    waker->wake();
    if (auto r = poll->poll(events, timeout); !r) {
      return skip(state, "Poll::poll", r.error().message());
    }
    if (events.size() != 1 || events[0].token() != Token(kWakerToken) || !events[0].readable()) {
      return skip(state, "Poll::poll", "did not return exactly the waker event");
    }
    std::uint32_t flags = events[0].flags();
    benchmark::DoNotOptimize(flags);
  }
}

void waker_raw(benchmark::State& state, int timeout_ms) {
  Fd ep = make_epoll(state);
  if (!ep) return;
  Fd efd = make_eventfd(state);
  if (!efd) return;
  if (!raw_add(state, ep.get(), efd.get(), kRawWaker, kWakerToken)) return;
  std::vector<epoll_event> buf(kCapacity);
  for (auto _ : state) {
    const std::uint64_t one = 1;
    if (::write(efd.get(), &one, sizeof(one)) != sizeof(one)) {
      return skip_errno(state, "write(eventfd)");
    }
    const int n = ::epoll_wait(ep.get(), buf.data(), static_cast<int>(buf.size()), timeout_ms);
    if (n < 0) return skip_errno(state, "epoll_wait");
    if (n != 1 || buf[0].data.u64 != kWakerToken || !(buf[0].events & EPOLLIN)) {
      return skip(state, "epoll_wait", "did not return exactly the waker event");
    }
    std::uint64_t count = 0;
    if (::read(efd.get(), &count, sizeof(count)) != sizeof(count)) {
      return skip_errno(state, "read(eventfd)");
    }
    benchmark::DoNotOptimize(count);
  }
}

// ---- 2. register + deregister one descriptor ----

enum class FdKind { eventfd, socket };

Fd make_fd(benchmark::State& state, FdKind kind) {
  return kind == FdKind::eventfd ? make_eventfd(state) : make_socket(state);
}

void register_evq(benchmark::State& state, std::string_view backend, FdKind kind) {
  auto poll = make_poll(state, backend);
  if (!poll) return;
  Fd fd = make_fd(state, kind);
  if (!fd) return;
  const auto& registry = poll->registry();
  for (auto _ : state) {
    auto added = registry.register_(fd.get(), Token(kSourceToken), Interest::READABLE);
    if (!added) return skip(state, "Registry::register_", added.error().message());
    auto removed = registry.deregister(fd.get());
    if (!removed) return skip(state, "Registry::deregister", removed.error().message());
    benchmark::DoNotOptimize(added);
    benchmark::DoNotOptimize(removed);
  }
}

void register_raw(benchmark::State& state, FdKind kind) {
  Fd ep = make_epoll(state);
  if (!ep) return;
  Fd fd = make_fd(state, kind);
  if (!fd) return;
  for (auto _ : state) {
    epoll_event ev{};
    ev.events = kRawReadable;
    ev.data.u64 = kSourceToken;
    int added = ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev);
    if (added != 0) return skip_errno(state, "epoll_ctl(ADD)");
    epoll_event none{};
    int removed = ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd.get(), &none);
    if (removed != 0) return skip_errno(state, "epoll_ctl(DEL)");
    benchmark::DoNotOptimize(added);
    benchmark::DoNotOptimize(removed);
  }
}

// ---- 3. one non-blocking poll over 10,000 idle registered descriptors ----

void idle_evq(benchmark::State& state, std::string_view backend) {
  if (!fill_idle_pool(state)) return;
  auto poll = make_poll(state, backend);
  if (!poll) return;
  const auto& registry = poll->registry();
  const auto& pool = idle_pool();
  for (std::size_t i = 0; i < pool.size(); ++i) {
    auto r = registry.register_(pool[i].get(), Token(kFirstIdleToken + i), Interest::READABLE);
    if (!r) return skip(state, "Registry::register_", r.error().message());
  }
  Events events(kCapacity);
  for (auto _ : state) {
    if (auto r = poll->poll(events, std::chrono::nanoseconds(0)); !r) {
      return skip(state, "Poll::poll", r.error().message());
    }
    if (!events.empty()) return skip(state, "Poll::poll", "reported an idle descriptor");
    std::size_t n = events.size();
    benchmark::DoNotOptimize(n);
  }
  state.counters["fds"] = static_cast<double>(pool.size());
  for (const Fd& fd : pool)
    (void)registry.deregister(fd.get());  // untimed: after the loop
}

void idle_raw(benchmark::State& state) {
  if (!fill_idle_pool(state)) return;
  Fd ep = make_epoll(state);
  if (!ep) return;
  // evq keeps its own wake-up eventfd in the set; so does a hand-written loop.
  Fd wake = make_eventfd(state);
  if (!wake) return;
  if (!raw_add(state, ep.get(), wake.get(), kRawWaker, kWakerToken)) return;
  const auto& pool = idle_pool();
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (!raw_add(state, ep.get(), pool[i].get(), kRawReadable, kFirstIdleToken + i)) return;
  }
  std::vector<epoll_event> buf(kCapacity);
  for (auto _ : state) {
    int n = ::epoll_wait(ep.get(), buf.data(), static_cast<int>(buf.size()), 0);
    if (n < 0) return skip_errno(state, "epoll_wait");
    if (n != 0) return skip(state, "epoll_wait", "reported an idle descriptor");
    benchmark::DoNotOptimize(n);
  }
  state.counters["fds"] = static_cast<double>(pool.size());
  // Closing `ep` drops every registration.
}

void register_all() {
  using benchmark::RegisterBenchmark;
  constexpr std::string_view kEpoll = "epoll";
  constexpr std::string_view kPoll = "poll";
  const Timeout forever = std::nullopt;
  const Timeout zero = std::chrono::nanoseconds(0);

  RegisterBenchmark("BM_WakerRoundTrip/raw", waker_raw, -1);
  RegisterBenchmark("BM_WakerRoundTrip/evq", waker_evq, kEpoll, forever);
  RegisterBenchmark("BM_WakerRoundTrip/evq_pollbackend", waker_evq, kPoll, forever);

  RegisterBenchmark("BM_WakerRoundTripTimeout0/raw", waker_raw, 0);
  RegisterBenchmark("BM_WakerRoundTripTimeout0/evq", waker_evq, kEpoll, zero);
  RegisterBenchmark("BM_WakerRoundTripTimeout0/evq_pollbackend", waker_evq, kPoll, zero);

  RegisterBenchmark("BM_RegisterDeregister/raw", register_raw, FdKind::eventfd);
  RegisterBenchmark("BM_RegisterDeregister/evq", register_evq, kEpoll, FdKind::eventfd);
  RegisterBenchmark("BM_RegisterDeregister/evq_pollbackend", register_evq, kPoll, FdKind::eventfd);

  RegisterBenchmark("BM_RegisterDeregisterSocket/raw", register_raw, FdKind::socket);
  RegisterBenchmark("BM_RegisterDeregisterSocket/evq", register_evq, kEpoll, FdKind::socket);
  RegisterBenchmark("BM_RegisterDeregisterSocket/evq_pollbackend", register_evq, kPoll,
                    FdKind::socket);

  RegisterBenchmark("BM_Poll10kIdle/raw", idle_raw);
  RegisterBenchmark("BM_Poll10kIdle/evq", idle_evq, kEpoll);
  RegisterBenchmark("BM_Poll10kIdle/evq_pollbackend", idle_evq, kPoll);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  idle_pool().clear();
  return 0;
}
