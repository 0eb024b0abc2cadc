// The compiled event-queue backends, best first: `auto` takes the first that can be created.
#include "poll/backend.hpp"

namespace evq::poll::detail {

namespace {
constexpr BackendEntry kBackends[] = {
#ifdef __linux__
    {"epoll", make_epoll_backend},
#endif
    {"poll", make_poll_backend},
};

constexpr std::string_view kNames[] = {
#ifdef __linux__
    "epoll",
#endif
    "poll",
};
static_assert(std::size(kNames) == std::size(kBackends));
}  // namespace

std::span<const BackendEntry> backend_entries() noexcept {
  return kBackends;
}

}  // namespace evq::poll::detail

namespace evq::poll {

std::span<const std::string_view> backend_names() noexcept {
  return detail::kNames;
}

}  // namespace evq::poll
