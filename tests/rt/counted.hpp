// Counts constructions and destructions, to prove coroutine frames are freed exactly once
// (cppcoro's counted).
#pragma once

struct Counted {
  static inline int alive = 0;
  static inline int constructed = 0;
  Counted() noexcept { ++alive, ++constructed; }
  Counted(const Counted&) noexcept { ++alive, ++constructed; }
  Counted(Counted&&) noexcept { ++alive, ++constructed; }
  ~Counted() { --alive; }
  static void reset() noexcept { alive = constructed = 0; }
};
