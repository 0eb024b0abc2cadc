// evq::rt::detail::TimerWheel: the runtime's timers, a hierarchical timing wheel (tokio's shape:
// 6 levels of 64 slots, 1 ms per tick) over intrusive entries that live in their owners.
//
// # Protocol
//
// Time. The wheel counts ticks of 1 ms (uint64). It starts at the `now_ms` it is built with and
// only moves forward, in advance(); `now()` is the tick it has reached. Every entry whose
// deadline is <= now() has fired, except those inserted since with a deadline in the past,
// which wait in the `due` list for the next advance().
//
// Levels and slots. Level L has 64 slots of 64^L ticks each, so it spans 64^(L+1) ticks and the
// six levels span 2^36 ticks (~2.2 years). An entry goes to the level of the highest 6-bit
// digit in which its deadline differs from now(): L = msb((now ^ deadline) | 63) / 6; its slot
// is the deadline's digit at that level, (deadline >> 6L) & 63. So every entry of level L
// shares all higher digits with now(), its level-L digit is greater than now()'s, and
//  - a level-0 slot holds exactly one deadline;
//  - every deadline in level L is earlier than every deadline in level L+1;
//  - within a level, the lowest occupied slot is the earliest (no rotation to undo).
// A 64-bit occupancy mask per level finds that slot with one count-trailing-zeros.
//
// Cascading. A level-L slot (L > 0) expires at its start, deadline with the low 6L bits cleared.
// advance() then moves the wheel to that tick and re-places the slot's entries, which now
// differ from now() only in lower digits: they drop to lower levels (or to `due` if their
// deadline is exactly that tick). A level-0 slot that expires is spliced onto `due` whole.
//
// Ordering. Entries fire in (deadline, start order): equal deadlines fire in the order they were
// inserted, even when one was inserted far ahead at a high level and cascaded down after a
// later one was inserted near. No sort is needed: all pending entries with one deadline always
// sit in a single list, in start order. (Before a level-L slot expires, any new entry with a
// deadline in it also goes to level L, into the same slot; at expiry the slot is re-placed in
// list order into lists that hold no entry with those deadlines yet; new entries append; and
// next_deadline's sort of a slot is stable.) Every entry carries the sequence number it got at
// insert, and debug builds check that each level-0 slot is in sequence order when it fires.
//
// Deadlines in the past. insert() with a deadline <= now() means "due now": the entry's deadline
// becomes now() (deadline() reports that) and it fires in the next advance(), after the entries
// already due, in start order. Inside a fire callback, now() is the tick being fired, so an
// entry inserted for that tick or earlier fires in the same advance(), after the current ones.
//
// Overflow. A deadline outside the 2^36-tick block that holds now() (more than ~2.2 years
// ahead) goes to an overflow list instead of being clamped, so it never fires early. When the
// wheel reaches the block of the earliest overflow deadline, advance() moves to that block's
// start and re-places the overflow list (the entries of that block enter the wheel, the rest
// stay). A far jump takes one step per occupied block, not one per block crossed.
//
// next_deadline(). The earliest pending deadline, exact (not a slot start, so a loop that
// sleeps until it wakes once): `due` if not empty, else the lowest occupied slot of the lowest
// non-empty level, else the overflow list. A level-0 slot is its deadline. A higher slot (or
// the overflow list) finds its minimum the cheapest way that applies:
//  - the list is in deadline order (each append was >= the tail, as with fixed-length
//    timeouts, or it was sorted since): its first entry;
//  - else its cached minimum, with how many entries hold it: inserts update it, cancelling the
//    last entry at the minimum makes it stale;
//  - else the list is sorted in place (stable natural merge sort, O(k log runs), no memory), so
//    later queries take the first case until an out-of-order insert. Stable: equal deadlines
//    stay in start order.
// Sorting is the only cost above O(levels). It needs a list filled out of deadline order whose
// cached minimum was cancelled: rare when cancels are unrelated to deadlines (~1/size per
// cancel); cancelling in deadline order sorts once; the worst case is alternating out-of-order
// inserts into the earliest slot with cancels of its minimum (one merge pass, O(k), each).
//
// Firing. advance(now_ms) repeats: fire everything in `due` (first in, first out), then move to
// the next expiry <= now_ms and process it (cascade, or splice onto `due`), until nothing is left
// at or before now_ms; then now() = now_ms. Each entry is unlinked before its callback runs, so
// a callback may insert or cancel any entry, itself included; the loop reads only list heads.
// So a callback that always re-inserts itself at a deadline <= now_ms never lets advance()
// return: re-arm periodic timers at a later tick.
//
// # Complexity
// insert, cancel, inserted: O(1). next_deadline: O(levels), plus the occasional sort above.
// advance: O(fired + cascaded + slots expired); each entry cascades at most once per level (6)
// on its way down, and once per occupied 2^36-tick block it waits in overflow.
//
// # Thread-safety
// None: single-threaded by design. A wheel belongs to one thread (one worker); only that thread
// inserts, cancels, queries and advances. Other threads must hand timer requests to it.
//
// # Lifetime
// The wheel never allocates (its lists are arrays inside it) and cannot be copied or moved:
// entries point into it. A TimerEntry must stay where it is while inserted (it cannot be copied
// or moved either), and its owner must cancel it before freeing it; cancel() is a no-op for an
// entry that is not inserted, so a destructor may call it unconditionally. Destroying the wheel
// detaches its entries without firing them.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace evq::rt::detail {

class TimerWheel;

// The intrusive list links of a TimerEntry (also the wheel's list heads).
struct TimerLinks {
  TimerLinks* next_ = nullptr;  // nullptr: not in any list
  TimerLinks* prev_ = nullptr;
};

// One timer, embedded in its owner (a coroutine frame or an awaiter). The owner sets `fire`
// before inserting it; the wheel calls fire(*this) once when the deadline is reached, after
// unlinking the entry. The owner finds itself from the entry (derive from TimerEntry, or use
// the member's offset).
class TimerEntry : private TimerLinks {
 public:
  using FireFn = void (*)(TimerEntry&) noexcept;

  TimerEntry() noexcept = default;
  explicit TimerEntry(FireFn f) noexcept : fire(f) {}
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;
  ~TimerEntry() { assert(next_ == nullptr && "TimerEntry destroyed while inserted"); }

  // The deadline it was last inserted with (now() if that was in the past), in ms ticks.
  [[nodiscard]] std::uint64_t deadline() const noexcept { return deadline_; }
  // Start order: assigned by the wheel at each insert, increasing.
  [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }

  FireFn fire = nullptr;

 private:
  friend class TimerWheel;
  std::uint64_t deadline_ = 0;
  std::uint64_t seq_ = 0;
  std::uint16_t list_ = 0;  // which of the wheel's lists holds it (meaningful while inserted)
};

// Hot: one per pending timer, inside a coroutine frame or awaiter.
static_assert(sizeof(TimerEntry) <= 48);

class TimerWheel {
 public:
  static constexpr unsigned kLevelBits = 6;
  static constexpr unsigned kSlots = 1u << kLevelBits;  // 64 slots per level
  static constexpr unsigned kLevels = 6;
  static constexpr std::uint64_t kRange = std::uint64_t{1} << (kLevelBits * kLevels);  // 2^36

  explicit TimerWheel(std::uint64_t now_ms) noexcept;
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  // Arms `entry` to fire at `deadline_ms` (or on the next advance if that is <= now()). An entry
  // that is already inserted is moved: cancelled, then inserted anew (a new start order).
  // Precondition: entry.fire is set.
  void insert(TimerEntry& entry, std::uint64_t deadline_ms) noexcept;

  // Disarms `entry`: it will not fire. A no-op if it is not inserted (never was, already fired,
  // or already cancelled).
  void cancel(TimerEntry& entry) noexcept;

  // Whether `entry` is armed (in this wheel or, if misused, another one).
  [[nodiscard]] static bool inserted(const TimerEntry& entry) noexcept {
    return entry.next_ != nullptr;
  }

  // The earliest deadline among inserted entries (now() for entries due now), or nullopt.
  // Not const: it may refresh its cache (reorder one slot's list by deadline).
  [[nodiscard]] std::optional<std::uint64_t> next_deadline() noexcept;

  // Moves time to `now_ms` (no earlier than now()) and fires, in (deadline, start) order, every
  // entry whose deadline is <= now_ms, including ones the callbacks insert. Returns how many
  // fired. Not re-entrant: a fire callback must not call advance().
  std::size_t advance(std::uint64_t now_ms) noexcept;

  [[nodiscard]] std::uint64_t now() const noexcept { return now_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  // List ids: level * 64 + slot for the wheel's slots, then overflow, then due.
  static constexpr std::uint16_t kOverflow = kLevels * kSlots;
  static constexpr std::uint16_t kDue = kOverflow + 1;
  static constexpr std::size_t kLists = kDue + 1;

  struct Expiry {
    std::uint64_t at;  // the tick the list expires at
    std::uint16_t list;
  };

  void place(TimerEntry& e) noexcept;
  void push_back(std::uint16_t list, TimerEntry& e) noexcept;
  void note_push(std::uint16_t list, std::uint64_t deadline) noexcept;
  void unlink(TimerEntry& e) noexcept;
  [[nodiscard]] std::optional<Expiry> next_expiry() noexcept;
  void process(Expiry x) noexcept;
  std::size_t fire_due() noexcept;
  [[nodiscard]] std::uint64_t list_min(std::uint16_t list) noexcept;
  void sort(std::uint16_t list) noexcept;
  static TimerLinks* merge(TimerLinks* a, TimerLinks* b) noexcept;
  static std::uint64_t deadline_of(const TimerLinks* n) noexcept {
    return static_cast<const TimerEntry*>(n)->deadline_;
  }
  [[nodiscard]] static bool in_start_order(const TimerLinks* first, const TimerLinks* last,
                                           std::uint64_t at) noexcept;
  [[nodiscard]] bool empty(std::uint16_t list) const noexcept {
    return heads_[list].next_ == &heads_[list];
  }

  std::uint64_t now_;
  std::uint64_t next_seq_ = 0;
  std::size_t size_ = 0;
  bool advancing_ = false;
  std::uint64_t occupied_[kLevels] = {};  // bit s of level L: slot L*64+s is not empty
  TimerLinks heads_[kLists];              // circular lists; a head links to itself when empty
  // next_deadline's cache, for the slot lists of levels 1-5 and the overflow list (indexed by
  // list id): whether each list is out of deadline order (bit list % 64 of word list / 64), and
  // its minimum deadline with how many entries hold it (a count of 0: unknown, sort).
  std::uint64_t unsorted_[kOverflow / kSlots + 1] = {};
  std::uint64_t min_[kOverflow + 1] = {};
  std::uint32_t min_count_[kOverflow + 1] = {};
};

}  // namespace evq::rt::detail
