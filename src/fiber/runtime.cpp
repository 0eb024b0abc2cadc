#include "evq/fiber/runtime.hpp"

#include <system_error>

namespace evq::fiber {

rt::Task<void> run(std::function<void()> body, SpawnOptions options) {
  auto f = Fiber::create(std::move(body),
                         Fiber::Options{.stack_size = options.stack_size, .name = options.name});
  if (!f) throw std::system_error(f.error(), "evq::fiber: cannot create a fiber");
  const std::coroutine_handle<> self = co_await detail::OwnHandle{};
  for (;;) {
    {
      // Restored however resume() ends (it rethrows what the fiber threw).
      struct Host {
        std::coroutine_handle<> outer;
        ~Host() { detail::current_host = outer; }
      } host{std::exchange(detail::current_host, self)};
      f->resume();
    }
    if (f->done()) co_return;
    co_await detail::Park{};  // the fiber began a wait: resumed when it completes
  }
}

}  // namespace evq::fiber
