// `evq echo-server`: every byte received is written back. Half-close respected (after the
// client's FIN the server sends what is pending, then shuts its side). Backpressure: the next
// read waits until the previous data was written, so a client that never reads cannot make the
// server buffer more than one read.
#include "echo_server.hpp"

#include <array>
#include <string>

#include "evq/rt/time.hpp"
#include "evq/sys/error.hpp"

namespace evq::app {
namespace {

struct Context {
  ServerOptions options;
};

rt::Task<void> connection(net::TcpStream s, Connection& conn, void* context) {
  const LeaveWhenDone leave(conn);
  const auto& o = static_cast<Context*>(context)->options;
  const auto idle = to_ms(o.idle_timeout_s);
  rt::Deadline deadline;  // one timer for all the waits, pushed back before each
  for (;;) {
    static thread_local std::array<std::byte, 16 * 1024> scratch;
    conn.idle = true;
    auto n = s.try_read(scratch);
    if (!n) {
      if (!sys::is_would_block(n.error())) co_return;
      deadline.expires_after(idle);
      auto ready = co_await rt::timeout(deadline, s.readable());
      if (!ready || !*ready) co_return;  // idle too long, or an error
      continue;
    }
    if (*n == 0) {
      (void)s.shutdown_write();
      co_return;
    }
    conn.idle = false;
    auto rest = send_now(s, std::span(scratch).first(*n));
    if (!rest) co_return;
    if (rest->empty()) continue;
    // The client is slow to read: keep what is left (the scratch buffer is shared) and wait.
    // Backpressure: nothing more is read until it is written.
    std::string pending(reinterpret_cast<const char*>(rest->data()), rest->size());
    if (!co_await write_all_within(s, std::as_bytes(std::span(pending)), idle)) co_return;
  }
}

}  // namespace

int run_echo_server(const ServerOptions& options) {
  static Context ctx;
  ctx.options = options;
  return run_server(options, "evq echo-server: every byte sent is sent back\n", &connection, &ctx);
}

std::size_t echo_connection_frame_size() {
  static Context ctx;
  return frame_size(&connection, &ctx);
}

}  // namespace evq::app
