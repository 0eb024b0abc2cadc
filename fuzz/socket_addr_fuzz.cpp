// libFuzzer target: SocketAddr::parse never crashes, and whatever it accepts prints to a text
// that parses back to the same address.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "evq/sys/socket_addr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto addr = evq::sys::SocketAddr::parse(text);
  if (!addr) return 0;
  const std::string printed = addr->to_string();
  auto again = evq::sys::SocketAddr::parse(printed);
  if (!again || !(*again == *addr) || again->to_string() != printed) std::abort();
  return 0;
}
