// `evq echo-server`: every byte received is written back. Half-close respected (after the
// client's FIN the server sends what is pending, then shuts its side). Backpressure: the next
// read waits until the previous data was written, so a client that never reads cannot make the
// server buffer more than one read.
#include "echo_server.hpp"

#include <array>
#include <string>

#include "evq/sys/error.hpp"

namespace evq::app {
namespace {

struct Context {
  ServerOptions options;
};

rt::Task<void> connection(net::TcpStream s, Connection& conn, void* context) {
  const auto& o = static_cast<Context*>(context)->options;
  const auto idle = to_ms(o.idle_timeout_s);
  std::string pending;  // what was read and must outlive a suspended write
  for (;;) {
    static thread_local std::array<std::byte, 16 * 1024> scratch;
    conn.idle = true;
    auto n = co_await read_some(s, scratch, idle);
    if (!n) {
      if (sys::is_would_block(n.error())) continue;
      co_return;
    }
    if (*n == 0) {
      (void)s.shutdown_write();
      co_return;
    }
    conn.idle = false;
    pending.assign(reinterpret_cast<const char*>(scratch.data()), *n);  // before suspending
    if (!co_await write_all_within(s, std::as_bytes(std::span(pending)), idle)) co_return;
    if (pending.capacity() > 64 * 1024) pending = std::string();  // don't keep a burst's buffer
  }
}

}  // namespace

int run_echo_server(const ServerOptions& options) {
  static Context ctx;
  ctx.options = options;
  return run_server(options, "evq echo-server: every byte sent is sent back\n", &connection, &ctx);
}

}  // namespace evq::app
