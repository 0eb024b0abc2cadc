// Task<T> on its own: laziness, values, exceptions, frame lifetimes, stack depth.
#include <gtest/gtest.h>

#include <stdexcept>

#include "counted.hpp"
#include "evq/rt/runtime.hpp"
#include "make_runtime.hpp"

namespace evq::rt {
namespace {

using test::make_runtime;

Task<int> answer() {
  co_return 42;
}

Task<int> plus_one(Task<int> t) {
  co_return co_await std::move(t) + 1;
}

TEST(Task, IsLazyUntilAwaited) {
  bool ran = false;
  auto t = [](bool& ran) -> Task<void> {
    ran = true;
    co_return;
  }(ran);
  EXPECT_FALSE(ran);
  make_runtime().block_on(std::move(t));
  EXPECT_TRUE(ran);
}

TEST(Task, AwaitingGivesTheValue) {
  EXPECT_EQ(make_runtime().block_on(plus_one(answer())), 43);
}

TEST(Task, AnExceptionReachesTheAwaiter) {
  auto thrower = []() -> Task<int> {
    throw std::runtime_error("boom");
    co_return 0;
  };
  auto catcher = [](Task<int> t) -> Task<std::string> {
    try {
      co_await std::move(t);
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "nothing";
  };
  EXPECT_EQ(make_runtime().block_on(catcher(thrower())), "boom");
  EXPECT_THROW(make_runtime().block_on(thrower()), std::runtime_error);
}

TEST(Task, DestroyingANeverStartedTaskDestroysItsArguments) {
  Counted::reset();
  {
    auto t = [](Counted) -> Task<void> { co_return; }(Counted{});
    EXPECT_GE(Counted::alive, 1);
  }
  EXPECT_EQ(Counted::alive, 0);
}

TEST(Task, FramesAreFreedExactlyOnceAfterCompletion) {
  Counted::reset();
  auto inner = [](Counted) -> Task<int> { co_return 1; };
  auto outer = [&](Counted c) -> Task<int> {
    int sum = 0;
    for (int i = 0; i < 100; ++i)
      sum += co_await inner(c);
    co_return sum;
  };
  EXPECT_EQ(make_runtime().block_on(outer(Counted{})), 100);
  EXPECT_EQ(Counted::alive, 0);
  EXPECT_GT(Counted::constructed, 100);
}

Task<int> completes_synchronously() {
  co_return 1;
}

TEST(Task, AMillionSynchronousCompletionsInALoopDoNotGrowTheStack) {
  auto loop = []() -> Task<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i)
      sum += co_await completes_synchronously();
    co_return sum;
  };
  EXPECT_EQ(make_runtime().block_on(loop()), 1'000'000);
}

Task<long> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

TEST(Task, AChainOfAMillionNestedTasksCompletesInConstantStack) {
  // Each level awaits the next: a million frames, each resumed through the trampoline.
  EXPECT_EQ(make_runtime().block_on(chain(1'000'000)), 1'000'000);
}

}  // namespace
}  // namespace evq::rt
