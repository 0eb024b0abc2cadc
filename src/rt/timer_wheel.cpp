// TimerWheel: 6 levels x 64 slots at 1 ms, intrusive entries; the protocol (slot math,
// cascading, ordering, overflow, the next_deadline cache) is in timer_wheel.hpp.
#include "evq/rt/detail/timer_wheel.hpp"

#include <bit>

namespace evq::rt::detail {
namespace {

constexpr std::uint64_t kSlotMask = TimerWheel::kSlots - 1;

std::uint64_t bit(unsigned slot) noexcept {
  return std::uint64_t{1} << slot;
}

// The level for `deadline` seen from `now`: where their highest differing bit is, in 6-bit
// digits (at least level 0). Precondition: now < deadline, both in one 2^36-tick block.
unsigned level_for(std::uint64_t now, std::uint64_t deadline) noexcept {
  const std::uint64_t diff = (now ^ deadline) | kSlotMask;
  return (63u - static_cast<unsigned>(std::countl_zero(diff))) / TimerWheel::kLevelBits;
}

// The first tick of the level-L digit block that holds `t` (the block of 64^(L+1) ticks).
std::uint64_t level_block(std::uint64_t t, unsigned level) noexcept {
  const unsigned span_bits = TimerWheel::kLevelBits * (level + 1);
  return t & ~((std::uint64_t{1} << span_bits) - 1);
}

}  // namespace

// Debug check of the ordering argument (see the header): a level-0 slot that expires holds only
// its own deadline, in start order.
bool TimerWheel::in_start_order(const TimerLinks* first, const TimerLinks* last,
                                std::uint64_t at) noexcept {
  for (const TimerLinks* n = first; n != last; n = n->next_) {
    const auto& a = static_cast<const TimerEntry&>(*n);
    const auto& b = static_cast<const TimerEntry&>(*n->next_);
    if (a.deadline_ != at || b.deadline_ != at || a.seq_ >= b.seq_) return false;
  }
  return deadline_of(first) == at;
}

TimerWheel::TimerWheel(std::uint64_t now_ms) noexcept : now_(now_ms) {
  for (TimerLinks& h : heads_)
    h.next_ = h.prev_ = &h;
}

TimerWheel::~TimerWheel() {
  // Detach, don't fire: the owners see their entries as not inserted and may cancel freely.
  for (TimerLinks& h : heads_) {
    for (TimerLinks* n = h.next_; n != &h;) {
      TimerLinks* next = n->next_;
      n->next_ = n->prev_ = nullptr;
      n = next;
    }
  }
}

void TimerWheel::insert(TimerEntry& entry, std::uint64_t deadline_ms) noexcept {
  assert(entry.fire != nullptr);
  cancel(entry);
  entry.deadline_ = deadline_ms < now_ ? now_ : deadline_ms;
  entry.seq_ = next_seq_++;
  ++size_;
  place(entry);
}

void TimerWheel::cancel(TimerEntry& entry) noexcept {
  if (!inserted(entry)) return;
  unlink(entry);
  --size_;
}

std::optional<std::uint64_t> TimerWheel::next_deadline() noexcept {
  if (!empty(kDue)) return now_;
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    const unsigned slot = static_cast<unsigned>(std::countr_zero(occupied_[level]));
    if (level == 0) return level_block(now_, 0) + slot;  // a level-0 slot is one deadline
    return list_min(static_cast<std::uint16_t>(level * kSlots + slot));
  }
  if (!empty(kOverflow)) return list_min(kOverflow);
  return std::nullopt;
}

std::size_t TimerWheel::advance(std::uint64_t now_ms) noexcept {
  assert(!advancing_ && "TimerWheel::advance called from a fire callback");
  advancing_ = true;
  if (now_ms < now_) now_ms = now_;
  std::size_t fired = 0;
  for (;;) {
    fired += fire_due();
    const std::optional<Expiry> x = next_expiry();
    if (!x || x->at > now_ms) break;
    process(*x);
  }
  now_ = now_ms;
  advancing_ = false;
  return fired;
}

// Puts an entry with deadline_ >= now_ on the list it belongs to from now_.
void TimerWheel::place(TimerEntry& e) noexcept {
  const std::uint64_t d = e.deadline_;
  if (d <= now_) return push_back(kDue, e);
  if ((now_ ^ d) >= kRange) return push_back(kOverflow, e);  // beyond this 2^36 block
  const unsigned level = level_for(now_, d);
  const unsigned slot = static_cast<unsigned>((d >> (level * kLevelBits)) & kSlotMask);
  occupied_[level] |= bit(slot);
  push_back(static_cast<std::uint16_t>(level * kSlots + slot), e);
}

void TimerWheel::push_back(std::uint16_t list, TimerEntry& e) noexcept {
  TimerLinks& head = heads_[list];
  if (list >= kSlots && list <= kOverflow) note_push(list, e.deadline_);
  e.next_ = &head;
  e.prev_ = head.prev_;
  head.prev_->next_ = &e;
  head.prev_ = &e;
  e.list_ = list;
}

// Before `d` is appended to a list that tracks its minimum (see next_deadline in the header).
void TimerWheel::note_push(std::uint16_t list, std::uint64_t d) noexcept {
  const std::uint64_t mask = bit(list % kSlots);
  std::uint64_t& unsorted = unsorted_[list / kSlots];
  if (empty(list)) {
    unsorted &= ~mask;
    min_[list] = d;
    min_count_[list] = 1;
    return;
  }
  if (d < deadline_of(heads_[list].prev_)) unsorted |= mask;
  if (min_count_[list] == 0) return;  // stale: stays stale
  if (d < min_[list]) {
    min_[list] = d;
    min_count_[list] = 1;
  } else if (d == min_[list]) {
    ++min_count_[list];
  }
}

void TimerWheel::unlink(TimerEntry& e) noexcept {
  const std::uint16_t list = e.list_;
  e.prev_->next_ = e.next_;
  e.next_->prev_ = e.prev_;
  e.next_ = e.prev_ = nullptr;
  if (list < kOverflow && empty(list)) occupied_[list / kSlots] &= ~bit(list % kSlots);
  if (list >= kSlots && list <= kOverflow && min_count_[list] != 0 && e.deadline_ == min_[list])
    --min_count_[list];  // reaching 0 marks the cache stale
}

// The next list to expire: the lowest occupied slot of the lowest non-empty level (every slot
// there is after now_'s digit, see the header), else the overflow list at the block of its
// earliest deadline.
std::optional<TimerWheel::Expiry> TimerWheel::next_expiry() noexcept {
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    const unsigned slot = static_cast<unsigned>(std::countr_zero(occupied_[level]));
    const std::uint64_t at =
        level_block(now_, level) + (std::uint64_t{slot} << (level * kLevelBits));
    assert(at > now_);
    return Expiry{at, static_cast<std::uint16_t>(level * kSlots + slot)};
  }
  if (!empty(kOverflow)) return Expiry{list_min(kOverflow) & ~(kRange - 1), kOverflow};
  return std::nullopt;
}

// Moves to x.at and empties list x.list: a level-0 slot goes onto `due` whole (its entries are
// all due at x.at, in start order); a higher slot or the overflow list is re-placed from x.at.
void TimerWheel::process(Expiry x) noexcept {
  assert(empty(kDue));
  now_ = x.at;
  TimerLinks& head = heads_[x.list];
  if (x.list < kOverflow) occupied_[x.list / kSlots] &= ~bit(x.list % kSlots);
  if (empty(x.list)) return;
  TimerLinks* first = head.next_;
  TimerLinks* last = head.prev_;
  head.next_ = head.prev_ = &head;
  if (x.list < kSlots) {
    TimerLinks& due = heads_[kDue];
    assert(in_start_order(first, last, x.at));
    for (TimerLinks* n = first;; n = n->next_) {
      static_cast<TimerEntry&>(*n).list_ = kDue;
      if (n == last) break;
    }
    first->prev_ = &due;
    last->next_ = &due;
    due.next_ = first;
    due.prev_ = last;
    return;
  }
  // Re-place in list order, so entries with equal deadlines keep their start order.
  last->next_ = nullptr;
  for (TimerLinks* n = first; n != nullptr;) {
    TimerLinks* next = n->next_;
    place(static_cast<TimerEntry&>(*n));
    n = next;
  }
}

std::size_t TimerWheel::fire_due() noexcept {
  std::size_t fired = 0;
  TimerLinks& due = heads_[kDue];
  while (due.next_ != &due) {
    TimerEntry& e = static_cast<TimerEntry&>(*due.next_);
    unlink(e);
    --size_;
    ++fired;
    e.fire(e);  // may insert or cancel anything, e included
  }
  return fired;
}

// The minimum deadline of a non-empty list that tracks it: its first entry's if the list is in
// deadline order, else the cached one, else the list is sorted and it is the first entry's.
std::uint64_t TimerWheel::list_min(std::uint16_t list) noexcept {
  const std::uint64_t mask = bit(list % kSlots);
  if ((unsorted_[list / kSlots] & mask) != 0) {
    if (min_count_[list] != 0) return min_[list];
    sort(list);
    unsorted_[list / kSlots] &= ~mask;
    // Refill the cache, so out-of-order inserts before the next cancel of the minimum keep it.
    const TimerLinks& head = heads_[list];
    min_[list] = deadline_of(head.next_);
    min_count_[list] = 0;
    for (const TimerLinks* n = head.next_; n != &head && deadline_of(n) == min_[list]; n = n->next_)
      ++min_count_[list];
  }
  return deadline_of(heads_[list].next_);
}

// Merges two chains (null-terminated through next_) by deadline; on ties `a`, the earlier part
// of the list, goes first, so the sort is stable.
TimerLinks* TimerWheel::merge(TimerLinks* a, TimerLinks* b) noexcept {
  TimerLinks head;
  TimerLinks* tail = &head;
  while (a != nullptr && b != nullptr) {
    TimerLinks*& from = deadline_of(b) < deadline_of(a) ? b : a;
    tail->next_ = from;
    tail = from;
    from = from->next_;
  }
  tail->next_ = a != nullptr ? a : b;
  return head.next_;
}

// Stable natural merge sort of a non-empty list by deadline, in place: O(k log runs), so a list
// that is sorted but for a few late inserts costs little more than a scan. Stability keeps
// equal deadlines in start order (the ordering invariant). bins[i] holds 2^i runs merged, all
// from before the runs in lower bins (libstdc++'s list::sort, fed with runs).
void TimerWheel::sort(std::uint16_t list) noexcept {
  TimerLinks& head = heads_[list];
  TimerLinks* chain = head.next_;
  head.prev_->next_ = nullptr;
  TimerLinks* bins[64] = {};
  while (chain != nullptr) {
    TimerLinks* run = chain;
    TimerLinks* end = chain;
    while (end->next_ != nullptr && deadline_of(end->next_) >= deadline_of(end))
      end = end->next_;
    chain = end->next_;
    end->next_ = nullptr;
    unsigned i = 0;
    for (; bins[i] != nullptr; ++i) {
      run = merge(bins[i], run);
      bins[i] = nullptr;
    }
    bins[i] = run;
  }
  TimerLinks* sorted = nullptr;
  for (TimerLinks* bin : bins)
    if (bin != nullptr) sorted = sorted == nullptr ? bin : merge(bin, sorted);
  // Relink prev_ and close the circle.
  TimerLinks* prev = &head;
  for (TimerLinks* n = sorted; n != nullptr; n = n->next_) {
    prev->next_ = n;
    n->prev_ = prev;
    prev = n;
  }
  prev->next_ = &head;
  head.prev_ = prev;
}

}  // namespace evq::rt::detail
