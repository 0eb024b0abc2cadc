// `evq delay-server`: the delay server of "Asynchronous Programming in Rust", on evq::rt.
//
// GET /{delay_ms}/{message} answers 200 with the percent-decoded message after delay_ms
// milliseconds, and prints `#{n} - {delay_ms}ms: {message}` at once. Keep-alive, Connection:
// close and pipelining (answers in request order) as DESIGN.md says.
#include "delay_server.hpp"

#include "delay_protocol.hpp"
#include "evq/rt/time.hpp"
#include "evq/sys/error.hpp"

namespace evq::app {
namespace {

using namespace std::chrono_literals;
using delay::Answer;
using delay::Conn;
using delay::Context;

// A read goes into a per-thread scratch buffer and is parsed there; a response is built in a
// per-thread buffer and sent at once; only what the socket did not take is copied (into the
// answer's own storage).
rt::Task<void> connection(net::TcpStream s, Connection& conn, void* context) {
  const LeaveWhenDone leave(conn);
  Context& ctx = *static_cast<Context*>(context);
  static thread_local std::array<std::byte, 16 * 1024> scratch;
  static thread_local std::string out;  // the response being sent (never across a suspension)
  const auto idle_limit = to_ms(ctx.options.idle_timeout_s);  // also bounds each write
  Conn c;
  Answer a;
  // One timer for every wait, moved before each: a read's timeout, a delay, the linger. Every
  // wait is the same one (readable, cut short by the deadline), so the frame holds one awaiter.
  rt::Deadline deadline;
  // parse: what is buffered; read: wait for bytes; delay: wait out an answer's delay while
  // reading what the client sends (a client that leaves ends the connection at once); send: the
  // response in `out`; linger: after the last answer and a FIN, read and drop until the client
  // closes or kLinger passed.
  enum class Phase : std::uint8_t { parse, read, delay, send, linger };
  Phase phase = Phase::parse;
  bool watching = true;  // delay: still reading (until kMaxBufferedDuringDelay)
  for (;;) {
    if (phase == Phase::parse) {
      const Conn::Next next = c.next(ctx, a, out);
      if (next == Conn::Next::read) {
        const auto limit = c.read_limit(ctx.options, conn.idle);
        if (limit <= 0ms) co_return;
        deadline.expires_after(limit);
        phase = Phase::read;
      } else if (next == Conn::Next::fail) {
        a.keep_alive = false;  // `out` holds the error response
        phase = Phase::send;
      } else {
        conn.idle = false;
        if (a.delay_ms) {
          deadline.expires_after(std::chrono::milliseconds(a.delay_ms));
          watching = true;
          phase = Phase::delay;
        } else {
          delay::render(a, out);
          phase = Phase::send;
        }
      }
    }
    if (phase == Phase::send) {
      auto left = send_now(s, std::as_bytes(std::span(out)));
      if (!left) co_return;
      if (!left->empty()) {  // a slow reader: keep the rest in the answer's own storage
        a.body.assign(reinterpret_cast<const char*>(left->data()), left->size());
        if (!co_await write_all_within(s, std::as_bytes(std::span(a.body)), idle_limit)) co_return;
      }
      if (a.keep_alive) {
        phase = Phase::parse;
        continue;
      }
      if (!s.shutdown_write()) co_return;
      conn.idle = true;  // answered: a shutdown need not wait for the client's side to close
      deadline.expires_after(delay::kLinger);
      phase = Phase::linger;
    }
    if (phase == Phase::delay && !watching) {  // the client sent too much to keep: just wait
      co_await rt::sleep_until(deadline.expiry());
      delay::render(a, out);
      phase = Phase::send;
      continue;
    }
    auto n = s.try_read(scratch);
    if (n) {
      if (*n == 0) co_return;  // the client closed
      const std::string_view got(reinterpret_cast<const char*>(scratch.data()), *n);
      if (phase == Phase::read) {
        c.received(got);
        phase = Phase::parse;
      } else if (phase == Phase::delay) {
        watching = c.received_during_delay(got);
      }
      continue;
    }
    if (!sys::is_would_block(n.error())) co_return;  // reset, ...
    auto ready = co_await rt::timeout(deadline, s.readable());
    if (ready) {
      if (!*ready) co_return;  // an error
      continue;
    }
    if (phase != Phase::delay) co_return;  // read or linger timed out
    delay::render(a, out);                 // the delay is over
    phase = Phase::send;
  }
}

}  // namespace

int run_delay_server(const DelayOptions& options) {
  static Context ctx;  // lives as long as the server
  ctx.options = options;
  const std::string banner =
      "evq delay-server: GET /{delay_ms}/{message} answers {message} after delay_ms ms\n"
      "  e.g. curl http://" +
      options.host + ":PORT/1000/hello   (Ctrl-C stops it)\n";
  return run_server(options, banner, &connection, &ctx);
}

std::size_t delay_connection_frame_size() {
  static Context ctx;
  return frame_size(&connection, &ctx);
}

}  // namespace evq::app
