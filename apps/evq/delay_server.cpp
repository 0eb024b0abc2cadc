// `evq delay-server`: the delay server of "Asynchronous Programming in Rust", on evq::rt.
//
// GET /{delay_ms}/{message} answers 200 with the percent-decoded message after delay_ms
// milliseconds, and prints `#{n} - {delay_ms}ms: {message}` at once. Keep-alive, Connection:
// close and pipelining (answers in request order) as DESIGN.md says.
#include "delay_server.hpp"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <iostream>

#include "evq/http/request_parser.hpp"
#include "evq/http/response.hpp"
#include "evq/rt/time.hpp"
#include "evq/sys/error.hpp"

namespace evq::app {
namespace {

using namespace std::chrono_literals;

// After its last answer a connection closes in stages (RFC 9112 9.6): FIN at once, then it reads
// and drops what the client still sends, until the client closes or this long has passed.
// Closing at once with unread bytes makes the kernel send RST instead of FIN, and a client can
// lose the answer (a 413 while it is still uploading, pipelined requests after
// `Connection: close`).
constexpr auto kLinger = 2s;

struct Context {
  DelayOptions options;
  std::atomic<std::uint64_t> requests = 0;  // shared by the loops of --threads
};

// The console line, with control characters escaped so a message cannot forge lines.
void print_request(std::uint64_t n, std::uint64_t delay_ms, std::string_view message) {
  std::string line = "#" + std::to_string(n) + " - " + std::to_string(delay_ms) + "ms: ";
  for (unsigned char c : message) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\x%02x", c);
      line += esc;
    } else {
      line += static_cast<char>(c);
    }
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// The answer to one request, decided at once and sent after `delay_ms`.
struct Answer {
  std::string body;  // also holds what a slow reader has not taken yet
  std::uint64_t delay_ms = 0;
  int status = 200;
  bool keep_alive = true;
  bool head = false;  // a HEAD request: no body is sent
};

// Decides the answer to one request (no I/O).
void decide(const http::Request& req, Context& ctx, Answer& a) {
  a.body.clear();
  a.delay_ms = 0;
  a.status = 200;
  a.keep_alive = req.keep_alive();
  a.head = req.is_head();
  if (req.method() != "GET" && req.method() != "HEAD") {
    a.status = 405;
    return;
  }
  // "/{delay}/{message}": the message is everything after the second slash.
  std::string_view path = req.path();
  const auto slash = path.size() > 1 ? path.find('/', 1) : std::string_view::npos;
  if (path.empty() || path[0] != '/' || slash == std::string_view::npos) {
    a.status = 404;
    return;
  }
  const std::string_view delay = path.substr(1, slash - 1);
  std::uint64_t ms = 0;
  auto [end, ec] = std::from_chars(delay.data(), delay.data() + delay.size(), ms);
  const bool digits = !delay.empty() && delay.find_first_not_of("0123456789") == delay.npos;
  if (!digits || ec != std::errc() || end != delay.data() + delay.size() ||
      ms > ctx.options.max_delay_s * 1000) {
    a.status = 400;
    return;
  }
  if (!http::percent_decode(path.substr(slash + 1), a.body)) {
    a.status = 400;
    return;
  }
  a.delay_ms = ms;
  if (!ctx.options.quiet) print_request(++ctx.requests, ms, a.body);
}

// The response to `a`, in `out`.
void render(const Answer& a, std::string& out) {
  out.clear();
  http::ResponseHead head{.status = a.status, .keep_alive = a.keep_alive};
  head.content_type = "text/plain";
  if (a.status == 200) return http::append_response(out, head, a.body, a.head);
  if (a.status == 405) head.allow = "GET, HEAD";
  http::append_error(out, head, {}, a.head);
}

// One connection's state between suspensions, and the steps that need no I/O. The coroutine
// below only reads, sleeps and writes; everything else happens here, in plain functions, so
// that the coroutine's frame (which g++ sizes for every local it has) stays small.
struct Conn {
  http::Parser parser;
  std::string in;             // received, not yet consumed, kept across suspensions
  std::string_view buffered;  // the unconsumed bytes: in `scratch` right after a read, else `in`
  bool in_scratch = false;
  std::chrono::steady_clock::time_point head_started{};

  enum class Next : std::uint8_t { answer, read, fail };

  // Parses what is buffered: `answer` (a request is decided in `a`; what follows it is safe in
  // `in`), `read` (more bytes are needed), or `fail` (the error response is in `out`).
  Next next(Context& ctx, Answer& a, std::string& out) {
    // Nothing buffered (the usual case after an answer): feed() would say just that.
    const http::FeedResult r = buffered.empty()
                                   ? http::FeedResult{http::ParseState::incomplete, 0, 0}
                                   : parser.feed(buffered);
    if (r.state == http::ParseState::error) {
      out.clear();
      http::append_error(out, {.status = r.status, .keep_alive = false}, parser.error_detail(),
                         false);
      return Next::fail;
    }
    if (r.state == http::ParseState::incomplete) {
      if (r.consumed == buffered.size()) {
        in.clear();
      } else {
        in.assign(buffered.substr(r.consumed));  // (assign copes with a view of itself)
      }
      keep_in();
      if (in.empty() && in.capacity() > 4096) in = std::string();  // drop a burst's buffer
      return Next::read;
    }
    decide(parser.request(), ctx, a);
    buffered.remove_prefix(r.consumed);
    if (in_scratch) {  // what follows must survive the suspensions to come
      if (buffered.empty()) {
        in.clear();
      } else {
        in.assign(buffered);
      }
      keep_in();
    }
    head_started = {};
    return Next::answer;
  }

  // How long the next read may wait: a new request has --idle-timeout to start, a started head
  // --header-timeout, a body being received --idle-timeout per read. Also says whether the
  // connection is idle (between requests).
  std::chrono::milliseconds read_limit(const DelayOptions& o, bool& idle) {
    const bool in_body = parser.reading_body();
    const bool in_head = !in.empty() && !in_body;
    idle = in.empty() && !in_body;
    if (!in_head) return to_ms(o.idle_timeout_s);
    const auto now = std::chrono::steady_clock::now();
    if (head_started == std::chrono::steady_clock::time_point{}) head_started = now;
    return std::chrono::duration_cast<std::chrono::milliseconds>(head_started +
                                                                 to_ms(o.header_timeout_s) - now);
  }

  // `n` bytes arrived in `scratch`.
  void received(std::string_view got) {
    if (in.empty()) {
      buffered = got;  // parsed in place
      in_scratch = true;
    } else {
      in.append(got);
      keep_in();
    }
  }

 private:
  void keep_in() noexcept {
    buffered = in;
    in_scratch = false;
  }
};

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
  rt::Deadline deadline;  // one timer for all the reads, moved before each
  bool closing = false;   // the last answer went out with a FIN: drop what still arrives
  for (;;) {
    const Conn::Next next = closing ? Conn::Next::read : c.next(ctx, a, out);
    if (next == Conn::Next::read) {
      std::chrono::milliseconds limit{};
      if (!closing) {
        limit = c.read_limit(ctx.options, conn.idle);
        if (limit <= 0ms) co_return;
      }
      auto n = s.try_read(scratch);
      if (!n) {
        if (!sys::is_would_block(n.error())) co_return;  // reset, ...
        if (!closing) deadline.expires_after(limit);
        auto ready = co_await rt::timeout(deadline, s.readable());
        if (!ready || !*ready) co_return;  // timed out, or an error
        continue;
      }
      if (*n == 0) co_return;  // the client closed
      if (!closing) c.received({reinterpret_cast<const char*>(scratch.data()), *n});
      continue;
    }
    if (next == Conn::Next::fail) {
      a.keep_alive = false;
    } else {
      conn.idle = false;
      if (a.delay_ms) co_await rt::sleep(std::chrono::milliseconds(a.delay_ms));
      render(a, out);
    }
    // Send the response in `out`.
    auto left = send_now(s, std::as_bytes(std::span(out)));
    if (!left) co_return;
    if (!left->empty()) {  // a slow reader: keep the rest in the answer's own storage
      a.body.assign(reinterpret_cast<const char*>(left->data()), left->size());
      if (!co_await write_all_within(s, std::as_bytes(std::span(a.body)), idle_limit)) co_return;
    }
    if (!a.keep_alive) {
      if (!s.shutdown_write()) co_return;
      closing = true;
      conn.idle = true;  // answered: a shutdown need not wait for the client's side to close
      deadline.expires_after(kLinger);
    }
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
