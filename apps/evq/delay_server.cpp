// `evq delay-server`: the delay server of "Asynchronous Programming in Rust", on evq::rt.
//
// GET /{delay_ms}/{message} answers 200 with the percent-decoded message after delay_ms
// milliseconds, and prints `#{n} - {delay_ms}ms: {message}` at once. Keep-alive, Connection:
// close and pipelining (answers in request order) as DESIGN.md says.
#include "delay_server.hpp"

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

struct Context {
  DelayOptions options;
  std::uint64_t requests = 0;
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

struct Answer {
  http::ResponseHead head;
  std::string body;
  std::uint64_t delay_ms = 0;
};

// Decides the answer to one request (no I/O).
Answer answer(const http::Request& req, Context& ctx) {
  Answer a;
  a.head.keep_alive = req.keep_alive();
  a.head.content_type = "text/plain";
  if (req.method() != "GET" && req.method() != "HEAD") {
    a.head.status = 405;
    a.head.allow = "GET, HEAD";
    return a;
  }
  // "/{delay}/{message}": the message is everything after the second slash.
  std::string_view path = req.path();
  const auto slash = path.size() > 1 ? path.find('/', 1) : std::string_view::npos;
  if (path.empty() || path[0] != '/' || slash == std::string_view::npos) {
    a.head.status = 404;
    return a;
  }
  const std::string_view delay = path.substr(1, slash - 1);
  std::uint64_t ms = 0;
  auto [end, ec] = std::from_chars(delay.data(), delay.data() + delay.size(), ms);
  const bool digits = !delay.empty() && delay.find_first_not_of("0123456789") == delay.npos;
  if (!digits || ec != std::errc() || end != delay.data() + delay.size() ||
      ms > ctx.options.max_delay_s * 1000) {
    a.head.status = 400;
    return a;
  }
  auto message = http::percent_decode(path.substr(slash + 1));
  if (!message) {
    a.head.status = 400;
    return a;
  }
  a.delay_ms = ms;
  a.body = std::move(*message);
  if (!ctx.options.quiet) print_request(++ctx.requests, ms, a.body);
  return a;
}

rt::Task<void> connection(net::TcpStream s, Connection& conn, void* context) {
  Context& ctx = *static_cast<Context*>(context);
  http::Parser parser;
  std::string in;   // received, not yet consumed
  std::string out;  // the response being written
  std::chrono::steady_clock::time_point head_started{};
  const auto idle_limit = to_ms(ctx.options.idle_timeout_s);  // also bounds each write
  for (;;) {
    // Answer every complete request buffered, in order.
    for (;;) {
      const http::FeedResult r = parser.feed(in);
      if (r.state == http::ParseState::error) {
        out.clear();
        http::append_error(out, {.status = r.status, .keep_alive = false}, parser.error_detail(),
                           false);
        (void)co_await write_all_within(s, std::as_bytes(std::span(out)), idle_limit);
        co_return;
      }
      if (r.state == http::ParseState::incomplete) {
        in.erase(0, r.consumed);
        break;
      }
      conn.idle = false;
      Answer a = answer(parser.request(), ctx);
      const bool head = parser.request().is_head();
      in.erase(0, r.consumed);
      if (a.delay_ms) co_await rt::sleep(std::chrono::milliseconds(a.delay_ms));
      out.clear();
      if (a.head.status == 200) {
        http::append_response(out, a.head, a.body, head);
      } else {
        http::append_error(out, a.head, {}, head);
      }
      if (!co_await write_all_within(s, std::as_bytes(std::span(out)), idle_limit)) co_return;
      if (!a.head.keep_alive) co_return;
      head_started = {};
    }
    // Read more: a new request has --idle-timeout to start, a started head --header-timeout;
    // a body being received gets --idle-timeout per read.
    const bool in_body = parser.reading_body();
    const bool in_head = !in.empty() && !in_body;
    conn.idle = in.empty() && !in_body;
    if (in_head && head_started == std::chrono::steady_clock::time_point{}) {
      head_started = std::chrono::steady_clock::now();
    }
    const auto limit = !in_head ? idle_limit
                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      head_started + to_ms(ctx.options.header_timeout_s) -
                                      std::chrono::steady_clock::now());
    if (limit <= 0ms) co_return;
    static thread_local std::array<std::byte, 16 * 1024> scratch;
    auto n = co_await read_some(s, scratch, limit);
    if (!n) {
      if (sys::is_would_block(n.error())) continue;  // spurious wake-up
      co_return;                                     // reset, timeout, ...
    }
    if (*n == 0) co_return;                                        // the client closed
    in.append(reinterpret_cast<const char*>(scratch.data()), *n);  // before any suspension
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

}  // namespace evq::app
