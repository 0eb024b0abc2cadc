// evq::poll: a readiness event queue in the shape of mio (Poll, Registry, Token, Interest,
// Event, Events, Waker, Source).
//
// Create a queue in the OS, register interest in sources with a token, block once in poll(),
// and get back events saying which sources are ready.
//
// # The readiness contract (the same on every backend)
//
// Edge-triggered. An event is delivered once per readiness change: after an event, keep
// reading (or writing, or accepting) until the operation reports would_block
// (sys::is_would_block), and only then expect another event for that direction. An event means
// "try now", not "will succeed".
//
// Drain through Source::do_io (or call Registry::rearm after would_block on a raw fd). That is
// how backends without native edge triggering (poll(2)) re-arm interest; on epoll it costs
// nothing. A source that stops before would_block may get no further event on such backends.
//
// Spurious events. An event may be delivered when the operation would still block (a datagram
// was dropped, data was read before the event was seen, a registration was changed). Handle
// would_block after an event as normal.
//
// Hints. read_closed, write_closed and error are best effort: they may be missed but are never
// wrong. Error and hang-up are reported whatever the interest. Several events for one source may
// come in one batch. Drain readable data before acting on read_closed.
//
// Ownership. The OS queue watches open file descriptions, not fd numbers: an fd that is closed
// while registered keeps firing through any dup or fork of it. Deregister before closing;
// Source does it for you. Registering an fd twice is an error (file_exists); so is reregistering
// or deregistering one that is not registered (no_such_file_or_directory). A deregistered fd is
// never reported by a later poll. Events already returned in the batch you are iterating stay
// there: when you close a source while handling a batch, later events in the same batch may
// still carry its token, so look tokens up, don't trust them (evq::rt uses slot+generation).
//
// Interruption. poll() does not retry EINTR: when a signal handler runs during the wait, poll()
// returns std::errc::interrupted with no events, so the caller can look at what the handler
// did. Call it again to keep waiting. (Waker::wake is async-signal-safe: a handler may call it.)
//
// Timeouts. nullopt waits until an event or a wake; zero never blocks; other durations are
// rounded up to the backend's resolution (1 ms), so a short wait never becomes a busy loop.
// poll() returns with no events when the timeout expires, and may return early with no events.
//
// # Thread-safety
// Registry (and its copies) may be used from any thread, including while another thread blocks
// in poll(): a registration made during an untimed poll is seen by that same poll. poll() itself
// must be called by one thread at a time. Waker::wake may be called from any thread.
//
// # Backends
// | backend | where            | edge triggering          | chosen by                      |
// |---------|------------------|--------------------------|--------------------------------|
// | epoll   | Linux            | native (EPOLLET)         | auto on Linux                  |
// | poll    | any POSIX        | emulated: disarm after an event, re-arm on would_block | `poll` |
// PollOptions::backend, else the EVQ_BACKEND environment variable, else "auto" (the first of
// backend_names() that works here).
// Current behaviour, not a promise: on epoll, new data may produce a new event before the
// source was drained; on poll, changes made from another thread cost the poller one wake-up.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "evq/poll/event.hpp"
#include "evq/poll/interest.hpp"
#include "evq/poll/token.hpp"
#include "evq/result.hpp"

namespace evq::poll {

namespace detail {
struct Core;
}

class Source;

// The backends compiled into this build, in the order `auto` tries them.
std::span<const std::string_view> backend_names() noexcept;

// Registry: adds, changes and removes interest in sources of one Poll.
// Thread-safety: every call from any thread. Copies share the same queue, and keep it alive.
// Errors: file_exists (registered twice), no_such_file_or_directory (not registered),
// operation_not_permitted (regular files cannot be polled), bad_file_descriptor,
// Errc::reserved_token. Messages name the operation.
class Registry {
 public:
  // Raw descriptors (mio's SourceFd): the caller keeps ownership and must deregister before
  // closing, and call rearm() after an operation on the fd hits would_block.
  [[nodiscard]] Result<void> register_(int fd, Token token, Interest interest) const;
  [[nodiscard]] Result<void> reregister(int fd, Token token, Interest interest) const;
  [[nodiscard]] Result<void> deregister(int fd) const;

  // Sources: the Source remembers the registration, re-arms through do_io and deregisters
  // before it closes.
  [[nodiscard]] Result<void> register_(Source& source, Token token, Interest interest) const;
  [[nodiscard]] Result<void> reregister(Source& source, Token token, Interest interest) const;
  [[nodiscard]] Result<void> deregister(Source& source) const;

  // Re-arms `direction` of a registered raw fd after an operation hit would_block. A no-op on
  // backends with native edge triggering; ignored for fds that are not registered.
  void rearm(int fd, Interest direction) const noexcept;

  [[nodiscard]] std::string_view backend_name() const noexcept;

 private:
  friend class Poll;
  friend class Source;
  friend class Waker;
  explicit Registry(std::shared_ptr<detail::Core> core) noexcept : core_(std::move(core)) {}
  std::shared_ptr<detail::Core> core_;
};

struct PollOptions {
  // "auto", a name from backend_names(), or empty for EVQ_BACKEND (else "auto").
  std::string_view backend;
};

// Poll: owns the OS event queue and waits on it.
// Thread-safety: poll() from one thread at a time; registry() from any.
// Lifetime: move-only. The queue lives as long as the Poll or any Registry copy or Waker of it.
// Errors (create): Errc::unknown_backend, and the OS errors of creating the queue.
class Poll {
 public:
  [[nodiscard]] static Result<Poll> create(PollOptions options = {});

  // Waits for events (see the contract above) and overwrites `events` with them.
  // Errors: interrupted (a signal handler ran), and the OS errors of waiting.
  [[nodiscard]] Result<void> poll(Events& events, std::optional<std::chrono::nanoseconds> timeout);

  [[nodiscard]] const Registry& registry() const noexcept { return registry_; }
  [[nodiscard]] std::string_view backend_name() const noexcept { return registry_.backend_name(); }

 private:
  explicit Poll(std::shared_ptr<detail::Core> core) noexcept : registry_(std::move(core)) {}
  Registry registry_;
};

}  // namespace evq::poll
