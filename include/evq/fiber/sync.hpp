// A mutex and a channel for the fibers of one runtime: waiting parks the fiber on the event
// queue (its thread runs everything else), it never blocks the thread.
//
// Mutex: lock() waits while another fiber holds it; waiters are woken in the order they came,
// but a fiber that calls lock() while the mutex is free takes it at once (no hand-off), as
// std::mutex allows. Works with std::lock_guard / std::unique_lock.
// Channel<T>: a bounded FIFO. send() waits while it is full, recv() while it is empty; close()
// wakes everyone: send() then fails with Errc::closed, recv() drains what is left and then
// returns nothing.
// Not for use across runtimes or threads (the fibers and tasks of one runtime only). A fiber
// aborted while it waits is simply no longer waiting (its turn passes to the next waiter).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "evq/error.hpp"
#include "evq/fiber/runtime.hpp"
#include "evq/result.hpp"
#include "evq/rt/detail/wait_queue.hpp"

namespace evq::fiber {

class Mutex {
 public:
  Mutex() noexcept = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() {
    while (locked_)
      await(waiters_.wait());
    locked_ = true;
  }
  [[nodiscard]] bool try_lock() noexcept { return !std::exchange(locked_, true); }
  void unlock() noexcept {
    locked_ = false;
    waiters_.notify_one();
  }

 private:
  bool locked_ = false;
  rt::detail::WaitQueue waiters_;
};

template <class T>
class Channel {
 public:
  // At least 1.
  explicit Channel(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  Result<void> send(T value) {
    while (!closed_ && items_.size() >= capacity_)
      await(not_full_.wait());
    if (closed_) return fail(Errc::closed);
    items_.push_back(std::move(value));
    not_empty_.notify_one();
    return {};
  }
  // The next value; nothing once the channel is closed and empty.
  std::optional<T> recv() {
    while (!closed_ && items_.empty())
      await(not_empty_.wait());
    return take();
  }
  [[nodiscard]] bool try_send(T& value) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(value));
    not_empty_.notify_one();
    return true;
  }
  [[nodiscard]] std::optional<T> try_recv() { return take(); }
  void close() noexcept {
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }

 private:
  std::optional<T> take() {
    if (items_.empty()) return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return v;
  }

  std::size_t capacity_;
  std::deque<T> items_;
  bool closed_ = false;
  rt::detail::WaitQueue not_full_;
  rt::detail::WaitQueue not_empty_;
};

}  // namespace evq::fiber
