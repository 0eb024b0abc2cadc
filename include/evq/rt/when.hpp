// when_all and when_any: run tasks concurrently on the current runtime. Call from a task.
//
// when_all(a, b, ...) waits for every task and gives a tuple of their values (void becomes
// std::monostate). As soon as one throws, the others are aborted; once every cancellation has
// completed, the first exception in argument order is rethrown.
// when_any(a, b, ...) (tasks of one type) gives the index of the first to finish and its value
// (or rethrows its exception). The others are aborted, and their cancellation has completed
// before it returns; what they returned or threw is dropped.
#pragma once

#include <array>
#include <exception>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "evq/rt/join_handle.hpp"
#include "evq/rt/task.hpp"

namespace evq::rt {

template <class T>
using ValueOr = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

namespace detail {

// Waits until every state is done; aborts the rest once one of them failed.
template <std::size_t N>
Task<void> settle_all(std::array<JoinStateBase*, N> states) {
  bool aborting = false;
  for (;;) {
    std::array<JoinStateBase*, N> waiting{};
    std::size_t n = 0;
    for (auto* s : states) {
      if (!s->done) waiting[n++] = s;
      if (s->done && s->exception && !aborting) aborting = true;
    }
    if (n == 0) co_return;
    if (aborting)
      for (std::size_t i = 0; i < n; ++i)
        if (waiting[i]->task) waiting[i]->task->scheduler->abort(*waiting[i]->task);
    co_await AnyAwaiter(std::span<JoinStateBase* const>(waiting.data(), n));
  }
}

template <class T>
Task<ValueOr<T>> value_of(JoinHandle<T>& h) {
  auto r = co_await h;  // rethrows the task's exception
  if (!r) throw std::system_error(r.error());
  if constexpr (std::is_void_v<T>) {
    co_return std::monostate{};
  } else {
    co_return std::move(*r);
  }
}

template <class... Ts, std::size_t... I>
Task<std::tuple<ValueOr<Ts>...>> collect(std::tuple<JoinHandle<Ts>...>& handles,
                                         std::index_sequence<I...>) {
  // Braced initialisation evaluates in order: the first failure in argument order is rethrown.
  co_return std::tuple<ValueOr<Ts>...>{co_await value_of(std::get<I>(handles))...};
}

}  // namespace detail

template <class... Ts>
Task<std::tuple<ValueOr<Ts>...>> when_all(Task<Ts>... tasks) {
  std::tuple<JoinHandle<Ts>...> handles{spawn(std::move(tasks))...};
  detail::AbortChildrenOnDrop<sizeof...(Ts)> guard{std::apply(
      [](auto&... h) { return std::array<detail::JoinStateBase*, sizeof...(Ts)>{h.state()...}; },
      handles)};
  co_await detail::settle_all(guard.children);
  // The first real failure in argument order, not the cancellation it caused in a sibling.
  for (detail::JoinStateBase* s : guard.children)
    if (s->exception) std::rethrow_exception(s->exception);
  co_return co_await detail::collect(handles, std::index_sequence_for<Ts...>{});
}

template <class T, class... Rest>
requires(std::is_same_v<Task<T>, Rest>&&...) Task<std::pair<std::size_t, ValueOr<T>>> when_any(
    Task<T> first, Rest... rest) {
  constexpr std::size_t N = 1 + sizeof...(Rest);
  std::array<JoinHandle<T>, N> handles{spawn(std::move(first)), spawn(std::move(rest))...};
  detail::AbortChildrenOnDrop<N> guard;
  for (std::size_t i = 0; i < N; ++i)
    guard.children[i] = handles[i].state();
  co_await detail::AnyAwaiter(guard.children);
  std::size_t winner = 0;
  while (!handles[winner].is_finished())
    ++winner;
  for (std::size_t i = 0; i < N; ++i)
    if (i != winner) handles[i].abort();
  for (std::size_t i = 0; i < N; ++i) {
    if (i == winner) continue;
    try {
      (void)co_await handles[i];  // wait until its cancellation completed
    } catch (...) {               // a loser's failure is dropped
    }
  }
  co_return std::pair<std::size_t, ValueOr<T>>{winner, co_await detail::value_of(handles[winner])};
}

}  // namespace evq::rt
