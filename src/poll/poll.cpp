// The poll(2) backend (any POSIX): edge triggering emulated on level-triggered poll(2).
//
// Protocol (mio's selector/poll.rs, in our terms):
//  - Each registration keeps its interest, the subset currently `armed`, and whether it is
//    `watched` at all. wait() polls watched fds for their armed directions; poll(2) adds error
//    and hang-up on its own, so a watched fd with nothing armed still reports those (one edge,
//    as epoll does). A reported direction is disarmed; error, hang-up and POLLNVAL unwatch the
//    fd entirely (they are levels: keeping it in the set would spin).
//  - rearm(fd, direction) after would_block arms that direction again (and watches the fd), so
//    the next readiness is reported: one event per readiness change, as on epoll.
//  - The set lives under `mu_`. wait() copies the armed set into `scratch_`, polls the copy
//    without the lock, then maps results back through the current set under the lock: an fd
//    removed meanwhile is not in the set and is never reported.
//  - A change made while wait() is inside poll(2) (`polling_`) raises the Signal, whose fd is in
//    the set: the poller wakes, Core sees only its own wake-up and waits again on a fresh copy.
//    Removals wake it too, so poll(2) drops its reference to a closed file promptly.
//  - Results are scanned from a rotating start, so with a small Events capacity no ready source
//    waits behind others forever.
#include <poll.h>
#include <sys/stat.h>

#include <mutex>
#include <vector>

#include "evq/sys/error.hpp"
#include "poll/backend.hpp"
#include "poll/signal.hpp"

namespace evq::poll::detail {
namespace {

using sys::Op;

constexpr short kRead = POLLIN | POLLRDHUP;

short to_poll(Interest i) noexcept {
  short ev = 0;
  if (i.is_readable()) ev |= kRead;
  if (i.is_writable()) ev |= POLLOUT;
  if (i.is_priority()) ev |= POLLPRI;
  return ev;
}

std::uint32_t from_poll(short ev) noexcept {
  std::uint32_t f = 0;
  if (ev & POLLIN) f |= Event::kReadable;
  if (ev & POLLOUT) f |= Event::kWritable;
  if (ev & POLLPRI) f |= Event::kPriority;
  if (ev & (POLLERR | POLLNVAL)) f |= Event::kError;
  if ((ev & POLLHUP) || ((ev & POLLIN) && (ev & POLLRDHUP))) f |= Event::kReadClosed;
  if ((ev & POLLHUP) || ((ev & POLLOUT) && (ev & POLLERR)) || ev == POLLERR) {
    f |= Event::kWriteClosed;
  }
  return f;
}

class PollBackend final : public Backend {
 public:
  explicit PollBackend(Signal& signal) noexcept : signal_(signal) {}

  Result<void> add(int fd, Token token, Interest interest) override {
    // Refuse what epoll refuses, so both backends agree: poll(2) would call a file always ready.
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail(sys::last_error(Op::register_));
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
      return fail(sys::os_error(EPERM, Op::register_));
    std::lock_guard lock(mu_);
    if (find(fd)) return fail(sys::os_error(EEXIST, Op::register_));
    if (static_cast<std::size_t>(fd) >= pos_.size()) pos_.resize(fd + 1, 0);
    const short mask = to_poll(interest);
    entries_.push_back({fd, token, mask, mask, true});
    pos_[fd] = entries_.size();
    changed();
    return {};
  }

  Result<void> modify(int fd, Token token, Interest interest) override {
    std::lock_guard lock(mu_);
    Entry* e = find(fd);
    if (!e) return fail(sys::os_error(ENOENT, Op::reregister));
    e->token = token;
    e->interest = e->armed = to_poll(interest);
    e->watched = true;
    changed();
    return {};
  }

  Result<void> remove(int fd) override {
    std::lock_guard lock(mu_);
    if (!find(fd)) return fail(sys::os_error(ENOENT, Op::deregister));
    const std::size_t i = pos_[fd] - 1;
    pos_[fd] = 0;
    if (i + 1 != entries_.size()) {
      entries_[i] = entries_.back();
      pos_[entries_[i].fd] = i + 1;
    }
    entries_.pop_back();
    changed();
    return {};
  }

  void rearm(int fd, Interest direction) noexcept override {
    std::lock_guard lock(mu_);
    Entry* e = find(fd);
    if (!e) return;
    const short add = to_poll(direction) & e->interest & ~e->armed;
    if (add == 0 && e->watched) return;
    e->armed |= add;
    e->watched = true;
    changed();
  }

  bool needs_rearm() const noexcept override { return true; }

  Result<std::size_t> wait(Event* out, std::size_t cap, int timeout_ms) override {
    snapshot();
    const int r = ::poll(scratch_.data(), scratch_.size(), timeout_ms);
    const int err = errno;
    std::lock_guard lock(mu_);
    polling_ = false;
    if (r < 0) return fail(sys::os_error(err, Op::poll_wait));
    return collect(out, cap, r);
  }

 private:
  struct Entry {
    int fd;
    Token token;
    short interest;  // poll(2) bits of the registered interest
    short armed;     // the subset wait() asks for
    bool watched;    // in the polled set (false after an error or hang-up was reported)
  };

  Entry* find(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= pos_.size() || pos_[fd] == 0) return nullptr;
    return &entries_[pos_[fd] - 1];
  }

  // Under mu_: a change the poller must see before it blocks again.
  void changed() noexcept {
    if (polling_) signal_.raise();
  }

  void snapshot() {
    std::lock_guard lock(mu_);
    scratch_.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      scratch_[i] = {e.watched ? e.fd : -1, e.armed, 0};  // poll(2) skips negative fds
    }
    polling_ = true;
  }

  // Under mu_: turns poll(2)'s results into at most `cap` events, disarming what it reports.
  std::size_t collect(Event* out, std::size_t cap, int ready) noexcept {
    const std::size_t size = scratch_.size();
    std::size_t n = 0;
    if (size == 0) return 0;
    const std::size_t start = start_ % size;
    for (std::size_t k = 0; k < size && ready > 0 && n < cap; ++k) {
      const pollfd& p = scratch_[(start + k) % size];
      if (p.revents == 0) continue;
      --ready;
      Entry* e = find(p.fd);
      if (!e) continue;  // removed while we polled: never reported again
      constexpr short kAlways = POLLERR | POLLHUP | POLLNVAL;
      const short ev = p.revents & (e->armed | kAlways);
      if (ev == 0) continue;
      out[n++] = Event(e->token, from_poll(ev));
      short disarm = ev & (POLLOUT | POLLPRI);
      if (ev & kRead) disarm |= kRead;
      e->armed &= ~disarm;
      if (ev & kAlways) {
        e->armed = 0;
        e->watched = false;
      }
    }
    start_ = start + n;
    return n;
  }

  Signal& signal_;
  std::mutex mu_;
  std::vector<Entry> entries_;    // the registered set
  std::vector<std::size_t> pos_;  // fd -> index in entries_ + 1; 0: not registered
  std::vector<pollfd> scratch_;   // the copy poll(2) works on (wait() only)
  std::size_t start_ = 0;         // where collect() starts scanning (wait() only)
  bool polling_ = false;          // wait() is inside poll(2) on a copy
};

}  // namespace

Result<std::unique_ptr<Backend>> make_poll_backend(Signal& signal) {
  return std::make_unique<PollBackend>(signal);
}

}  // namespace evq::poll::detail
