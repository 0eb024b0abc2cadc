#include "delay_protocol.hpp"

#include <sys/mman.h>

#include <charconv>
#include <cstdio>
#include <new>

#include "evq/http/response.hpp"

namespace evq::app::delay {
namespace {

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

}  // namespace

std::atomic<std::uint64_t>& shared_request_counter() {
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);  // so it works across fork()
  static std::atomic<std::uint64_t>* counter = [] {
    void* p = ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return new (p) std::atomic<std::uint64_t>(0);
  }();
  return *counter;
}

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
  if (!ctx.options.quiet) print_request(ctx.requests->fetch_add(1) + 1, ms, a.body);
}

void render(const Answer& a, std::string& out) {
  out.clear();
  http::ResponseHead head{.status = a.status, .keep_alive = a.keep_alive};
  head.content_type = "text/plain";
  if (a.status == 200) return http::append_response(out, head, a.body, a.head);
  if (a.status == 405) head.allow = "GET, HEAD";
  http::append_error(out, head, {}, a.head);
}

Conn::Next Conn::next(Context& ctx, Answer& a, std::string& out) {
  // Nothing buffered (the usual case after an answer): feed() would say just that.
  const http::FeedResult r = buffered.empty() ? http::FeedResult{http::ParseState::incomplete, 0, 0}
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

std::chrono::milliseconds Conn::read_limit(const DelayOptions& o, bool& idle) {
  const bool in_body = parser.reading_body();
  const bool in_head = !in.empty() && !in_body;
  idle = in.empty() && !in_body;
  if (!in_head) return to_ms(o.idle_timeout_s);
  const auto now = std::chrono::steady_clock::now();
  if (head_started == std::chrono::steady_clock::time_point{}) head_started = now;
  return std::chrono::duration_cast<std::chrono::milliseconds>(head_started +
                                                               to_ms(o.header_timeout_s) - now);
}

void Conn::received(std::string_view got) {
  if (in.empty()) {
    buffered = got;  // parsed in place
    in_scratch = true;
  } else {
    in.append(got);
    keep_in();
  }
}

bool Conn::received_during_delay(std::string_view got) {
  in.append(got);
  keep_in();
  return in.size() < kMaxBufferedDuringDelay;
}

}  // namespace evq::app::delay
