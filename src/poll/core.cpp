// Poll, Registry, Source and Waker: the backend-independent half of evq::poll.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "evq/error.hpp"
#include "evq/poll/poll.hpp"
#include "evq/poll/source.hpp"
#include "evq/poll/waker.hpp"
#include "poll/core.hpp"

namespace evq::poll {
namespace {

using Clock = std::chrono::steady_clock;

// Rounds up to whole milliseconds (a 0.5 ms wait must not become a busy 0) and clamps to what
// the backends take; -1 waits forever.
int to_timeout_ms(std::optional<std::chrono::nanoseconds> t) noexcept {
  if (!t) return -1;
  if (t->count() <= 0) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*t).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, INT_MAX));
}

Result<std::shared_ptr<detail::Core>> make_core(const detail::BackendEntry& entry) {
  auto core = std::make_shared<detail::Core>();
  core->name = entry.name;
  auto signal = detail::make_signal();
  if (!signal) return fail(signal.error());
  core->signal = std::move(*signal);
  auto backend = entry.create(*core->signal);
  if (!backend) return fail(backend.error());
  core->backend = std::move(*backend);
  core->needs_rearm = core->backend->needs_rearm();
  if (auto r = core->backend->add(core->signal->fd(), Token::reserved(), Interest::READABLE); !r) {
    return fail(r.error());
  }
  return core;
}

}  // namespace

// ---- Poll ----

Result<Poll> Poll::create(PollOptions options) {
  std::string_view want = options.backend;
  if (want.empty()) {
    const char* env = std::getenv("EVQ_BACKEND");
    want = env && *env ? env : "auto";
  }
  std::error_code last = make_error_code(Errc::unknown_backend);
  for (const auto& entry : detail::backend_entries()) {
    if (want != "auto" && want != entry.name) continue;
    auto core = make_core(entry);
    if (core) return Poll(std::move(*core));
    last = core.error();
    if (want != "auto") break;
  }
  return fail(last);
}

Result<void> Poll::poll(Events& events, std::optional<std::chrono::nanoseconds> timeout) {
  detail::Core& core = *registry_.core_;
  // Only a positive timeout needs the clock (a wait may restart after an internal wake-up).
  const bool timed = timeout && timeout->count() > 0;
  const auto deadline = timed ? Clock::now() + *timeout : Clock::time_point::max();
  Event* out = events.storage();
  for (;;) {
    const int ms = timed ? to_timeout_ms(deadline - Clock::now()) : timeout ? 0 : -1;
    auto got = core.backend->wait(out, events.capacity(), ms);
    if (!got) {
      events.clear();
      return fail(got.error());
    }
    // Drop our own wake-up event; it becomes the user's Waker event if they asked for one.
    std::size_t n = 0;
    bool signalled = false;
    for (std::size_t i = 0; i < *got; ++i) {
      if (out[i].token() == Token::reserved()) {
        signalled = true;
      } else {
        out[n++] = out[i];
      }
    }
    if (signalled) {
      core.signal->drain();
      if (core.needs_rearm) core.backend->rearm(core.signal->fd(), Interest::READABLE);
      if (core.woken.exchange(false) && core.has_waker.load()) {
        out[n++] = Event(Token(core.waker_token.load()), Event::kReadable);  // fits: one dropped
      }
    }
    events.set_size(n);
    // Only an internal wake-up (a registration changed): wait again for what time is left.
    if (n > 0 || !signalled || ms == 0) return {};
  }
}

// ---- Registry ----

Result<void> Registry::register_(int fd, Token token, Interest interest) const {
  if (token == Token::reserved()) return fail(Errc::reserved_token);
  return core_->backend->add(fd, token, interest);
}

Result<void> Registry::reregister(int fd, Token token, Interest interest) const {
  if (token == Token::reserved()) return fail(Errc::reserved_token);
  return core_->backend->modify(fd, token, interest);
}

Result<void> Registry::deregister(int fd) const {
  return core_->backend->remove(fd);
}

void Registry::rearm(int fd, Interest direction) const noexcept {
  if (core_->needs_rearm) core_->backend->rearm(fd, direction);
}

std::string_view Registry::backend_name() const noexcept {
  return core_->name;
}

Result<void> Registry::register_(Source& source, Token token, Interest interest) const {
  if (source.core_) return fail(sys::os_error(EEXIST, sys::Op::register_));
  if (auto r = register_(source.fd(), token, interest); !r) return r;
  source.core_ = core_;
  source.rearm_ = core_->needs_rearm;
  return {};
}

Result<void> Registry::reregister(Source& source, Token token, Interest interest) const {
  if (source.core_ != core_) return fail(Errc::not_registered);
  return reregister(source.fd(), token, interest);
}

Result<void> Registry::deregister(Source& source) const {
  if (source.core_ != core_) return fail(Errc::not_registered);
  return source.deregister();
}

// ---- Source ----

Source& Source::operator=(Source&& other) noexcept {
  if (this != &other) {
    (void)close();  // this source's own registration and fd go first, in that order
    fd_ = std::move(other.fd_);
    core_ = std::move(other.core_);
    rearm_ = other.rearm_;
  }
  return *this;
}

Source::~Source() {
  (void)close();
}

void Source::rearm(Interest direction) noexcept {
  if (core_) core_->backend->rearm(fd_.get(), direction);
}

Result<void> Source::deregister() noexcept {
  if (!core_) return {};
  auto core = std::move(core_);
  return core->backend->remove(fd_.get());
}

Result<void> Source::close() noexcept {
  auto deregistered = deregister();
  auto closed = fd_.close();
  if (!deregistered) return deregistered;
  return closed;
}

Result<sys::Fd> Source::into_fd() noexcept {
  if (auto r = deregister(); !r) return fail(r.error());
  return std::move(fd_);
}

// ---- Waker ----

Result<Waker> Waker::create(const Registry& registry, Token token) {
  if (token == Token::reserved()) return fail(Errc::reserved_token);
  auto& core = *registry.core_;
  if (core.has_waker.exchange(true)) return fail(Errc::waker_exists);
  core.waker_token.store(token.value());
  return Waker(registry.core_);
}

Waker& Waker::operator=(Waker&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
  }
  return *this;
}

Waker::~Waker() {
  release();
}

void Waker::release() noexcept {
  if (core_) core_->has_waker.store(false);
  core_.reset();
}

void Waker::wake() const noexcept {
  if (!core_) return;  // moved-from
  core_->woken.store(true);
  core_->signal->raise();
}

}  // namespace evq::poll
