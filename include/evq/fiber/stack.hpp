// evq::fiber::Stack: the call stack of one fiber.
//
// mmap'd, private, MAP_NORESERVE: the size is reserved address space, and a page of memory is
// committed only when the fiber first touches it, so a fiber that stays shallow costs a page or
// two whatever its size. Below the usable part lies a PROT_NONE guard region (64 KiB of address
// space, no memory), so running off the end faults instead of overwriting a neighbour; Fiber
// reports that fault as a stack overflow naming the fiber (fiber.hpp).
//
// Move-only; the mapping is released on destruction. Linux only (mmap, MAP_NORESERVE).
#pragma once

#include <cstddef>

#include "evq/result.hpp"

namespace evq::fiber {

class Stack {
 public:
  static constexpr std::size_t kDefaultSize = 64 * 1024;
  static constexpr std::size_t kGuardSize = 64 * 1024;

  // `size` usable bytes, rounded up to whole pages (at least one). Fails with the mmap error
  // (ENOMEM when address space or the map count runs out).
  [[nodiscard]] static Result<Stack> allocate(std::size_t size = kDefaultSize) noexcept;

  Stack() noexcept = default;
  Stack(Stack&& o) noexcept;
  Stack& operator=(Stack&& o) noexcept;
  ~Stack();

  // The usable range [bottom, top): a stack grows down from top.
  [[nodiscard]] std::byte* bottom() const noexcept { return base_ + kGuardSize; }
  [[nodiscard]] std::byte* top() const noexcept { return base_ + mapped_; }
  [[nodiscard]] std::size_t size() const noexcept { return mapped_ - kGuardSize; }
  // Whether `addr` is in the guard region below the stack (where an overflow faults).
  [[nodiscard]] bool in_guard(const void* addr) const noexcept {
    const auto* p = static_cast<const std::byte*>(addr);
    return base_ != nullptr && p >= base_ && p < base_ + kGuardSize;
  }

 private:
  Stack(std::byte* base, std::size_t mapped) noexcept : base_(base), mapped_(mapped) {}
  std::byte* base_ = nullptr;  // start of the mapping: the guard, then the stack
  std::size_t mapped_ = 0;
};

}  // namespace evq::fiber
