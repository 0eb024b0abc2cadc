#include "evq/fiber/stack.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <utility>

#include "evq/sys/error.hpp"

namespace evq::fiber {

Result<Stack> Stack::allocate(std::size_t size) noexcept {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  size = size == 0 ? page : (size + page - 1) / page * page;
  const std::size_t mapped = kGuardSize + size;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return fail(sys::last_error(sys::Op::mmap));
  if (::mprotect(p, kGuardSize, PROT_NONE) != 0) {
    const auto err = sys::last_error(sys::Op::mmap);
    ::munmap(p, mapped);
    return fail(err);
  }
  return Stack(static_cast<std::byte*>(p), mapped);
}

Stack::Stack(Stack&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)), mapped_(std::exchange(o.mapped_, 0)) {}

Stack& Stack::operator=(Stack&& o) noexcept {
  if (this != &o) {
    Stack old(std::move(*this));
    base_ = std::exchange(o.base_, nullptr);
    mapped_ = std::exchange(o.mapped_, 0);
  }
  return *this;
}

Stack::~Stack() {
  if (base_) ::munmap(base_, mapped_);
}

}  // namespace evq::fiber
