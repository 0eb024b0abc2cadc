#include "evq/sys/error.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace evq::sys {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Op::count_)> kNames{
    "socket",
    "bind",
    "listen",
    "accept",
    "connect",
    "read",
    "write",
    "send",
    "recv",
    "sendto",
    "recvfrom",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "getsockname",
    "getpeername",
    "pipe",
    "socketpair",
    "dup",
    "close",
    "fcntl",
    "eventfd",
    "create event queue",
    "register",
    "reregister",
    "deregister",
    "poll",
    "wake",
    "socket error",
    "mmap"};

// What a user can do about the errors they cause, by operation.
std::string_view hint(Op op, int err) {
  switch (op) {
    case Op::register_:
      if (err == EEXIST) return " (this fd is already registered with this Poll; use reregister)";
      if (err == EPERM) return " (regular files and directories cannot be polled)";
      if (err == EBADF) return " (not an open file descriptor)";
      break;
    case Op::reregister:
    case Op::deregister:
      if (err == ENOENT) return " (this fd is not registered with this Poll)";
      if (err == EBADF) return " (not an open file descriptor; deregister before closing)";
      break;
    case Op::accept:
    case Op::socket:
    case Op::pipe:
    case Op::socketpair:
    case Op::dup:
    case Op::eventfd:
      if (err == EMFILE || err == ENFILE)
        return " (out of file descriptors: close some or raise `ulimit -n`)";
      break;
    default:
      break;
  }
  return {};
}

class OsCategory final : public std::error_category {
 public:
  constexpr explicit OsCategory(Op op) noexcept : op_(op) {}
  const char* name() const noexcept override {
    return kNames[static_cast<std::size_t>(op_)].data();
  }
  std::string message(int ev) const override {
    std::string m(kNames[static_cast<std::size_t>(op_)]);
    m += ": ";
    m += std::strerror(ev);
    m += hint(op_, ev);
    return m;
  }
  // Compare like system_category: errno values map onto the portable std::errc conditions.
  std::error_condition default_error_condition(int ev) const noexcept override {
    return std::system_category().default_error_condition(ev);
  }

 private:
  Op op_;
};

constexpr std::size_t kOps = static_cast<std::size_t>(Op::count_);

// One category per Op, in one array (is_would_block compares addresses against it). Built at
// compile time: no guard to check on every error.
struct Categories {
  std::array<OsCategory, kOps> all;
  // (In this order: clang 14 cannot evaluate a delegation to a constructor defined after it.)
  template <std::size_t... I>
  constexpr explicit Categories(std::index_sequence<I...>) noexcept
      : all{OsCategory(static_cast<Op>(I))...} {}
  constexpr Categories() noexcept : Categories(std::make_index_sequence<kOps>()) {}
};
constinit const Categories kCategories;

}  // namespace

std::string_view op_name(Op op) noexcept {
  return kNames[static_cast<std::size_t>(op)];
}

const std::error_category& os_category(Op op) noexcept {
  return kCategories.all[static_cast<std::size_t>(op)];
}

bool is_would_block(const std::error_code& ec) noexcept {
  if (ec.value() != EAGAIN && ec.value() != EWOULDBLOCK) return false;
  // One of our categories? They live in one array: compare addresses as integers.
  const auto p = reinterpret_cast<std::uintptr_t>(&ec.category());
  const auto lo = reinterpret_cast<std::uintptr_t>(kCategories.all.data());
  return p >= lo && p < lo + sizeof(kCategories.all);
}

}  // namespace evq::sys
