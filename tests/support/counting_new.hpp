// Counts heap allocations made by the current thread, by replacing the global operator new and
// delete. Include it in exactly one source file of a test binary, then:
//
//   evq::test::counting_allocations = true;  ... ;  counting_allocations = false;
//   EXPECT_EQ(evq::test::allocations, 0);
//
// The TSan runtime defines operator new itself, so under TSan nothing is replaced and
// kCountingAllocations is false: tests skip with that reason.
#pragma once

#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EVQ_TEST_NO_COUNTING_NEW 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EVQ_TEST_NO_COUNTING_NEW 1
#endif

namespace evq::test {
inline thread_local bool counting_allocations = false;
inline thread_local long allocations = 0;
#ifdef EVQ_TEST_NO_COUNTING_NEW
inline constexpr bool kCountingAllocations = false;
#else
inline constexpr bool kCountingAllocations = true;
#endif
}  // namespace evq::test

#ifndef EVQ_TEST_NO_COUNTING_NEW
// g++ cannot see that these replacements pair malloc with free on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (evq::test::counting_allocations) ++evq::test::allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The library's nothrow new (std::stable_sort's buffer) must pair with the delete below too.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (evq::test::counting_allocations) ++evq::test::allocations;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif
