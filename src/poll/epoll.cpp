// The epoll backend (Linux): native edge triggering, so rearm is a no-op.
//
// Every registration asks for EPOLLET and, with readable interest, EPOLLRDHUP so a peer's
// half-close is reported (epoll(7)). epoll_ctl is thread-safe, so no lock is needed: a
// registration made while another thread is in epoll_wait is seen by that wait.
#include <sys/epoll.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "evq/sys/error.hpp"
#include "evq/sys/fd.hpp"
#include "poll/backend.hpp"

namespace evq::poll::detail {
namespace {

using sys::Op;

std::uint32_t to_epoll(Interest i) noexcept {
  std::uint32_t ev = EPOLLET;
  if (i.is_readable()) ev |= EPOLLIN | EPOLLRDHUP;
  if (i.is_writable()) ev |= EPOLLOUT;
  if (i.is_priority()) ev |= EPOLLPRI;
  return ev;
}

// The predicates of mio's epoll selector: the closed flags are hints, never wrong.
std::uint32_t from_epoll(std::uint32_t ev) noexcept {
  std::uint32_t f = 0;
  if (ev & EPOLLIN) f |= Event::kReadable;
  if (ev & EPOLLOUT) f |= Event::kWritable;
  if (ev & EPOLLPRI) f |= Event::kPriority;
  if (ev & EPOLLERR) f |= Event::kError;
  if ((ev & EPOLLHUP) || ((ev & EPOLLIN) && (ev & EPOLLRDHUP))) f |= Event::kReadClosed;
  // A pipe's writer learns that the reader is gone only through EPOLLERR (tokio #2218).
  if ((ev & EPOLLHUP) || ((ev & EPOLLOUT) && (ev & EPOLLERR)) || ev == EPOLLERR) {
    f |= Event::kWriteClosed;
  }
  return f;
}

class EpollBackend final : public Backend {
 public:
  explicit EpollBackend(sys::Fd ep) noexcept : ep_(std::move(ep)) {}

  Result<void> add(int fd, Token token, Interest interest) override {
    return ctl(EPOLL_CTL_ADD, fd, token, interest, Op::register_);
  }
  Result<void> modify(int fd, Token token, Interest interest) override {
    return ctl(EPOLL_CTL_MOD, fd, token, interest, Op::reregister);
  }
  Result<void> remove(int fd) override {
    // Kernels before 2.6.9 wanted a non-null event even for DEL; pass one.
    epoll_event ev{};
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, &ev) != 0) {
      return fail(sys::last_error(Op::deregister));
    }
    return {};
  }
  void rearm(int, Interest) noexcept override {}
  bool needs_rearm() const noexcept override { return false; }

  Result<std::size_t> wait(Event* out, std::size_t cap, int timeout_ms) override {
    cap = std::min<std::size_t>(cap, INT_MAX);
    if (raw_.size() < cap) raw_.resize(cap);  // grows once per larger Events, then reused
    const int n = ::epoll_wait(ep_.get(), raw_.data(), static_cast<int>(cap), timeout_ms);
    if (n < 0) return fail(sys::last_error(Op::poll_wait));
    for (int i = 0; i < n; ++i) {
      out[i] =
          Event(Token(static_cast<std::uintptr_t>(raw_[i].data.u64)), from_epoll(raw_[i].events));
    }
    return static_cast<std::size_t>(n);
  }

 private:
  Result<void> ctl(int op, int fd, Token token, Interest interest, Op what) noexcept {
    epoll_event ev{};
    ev.events = to_epoll(interest);
    ev.data.u64 = token.value();
    if (::epoll_ctl(ep_.get(), op, fd, &ev) != 0) return fail(sys::last_error(what));
    return {};
  }

  sys::Fd ep_;
  std::vector<epoll_event> raw_;  // used by wait() only, on the polling thread
};

}  // namespace

Result<std::unique_ptr<Backend>> make_epoll_backend(Signal&) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return fail(sys::last_error(Op::poll_create));
  return std::make_unique<EpollBackend>(sys::Fd(ep));
}

}  // namespace evq::poll::detail
