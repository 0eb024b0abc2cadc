// libFuzzer target for the HTTP request parser. For each input, driven as a server drives it
// (feed every unconsumed byte, drop what was consumed), with the default limits and with tiny
// ones:
// - feeding it at once, one byte at a time, and in pieces whose sizes come from the input's own
//   bytes gives the same transcript (every request seen, then the final state, status and detail);
// - consumed never exceeds what was fed, an error's status is one of 400 413 414 431 501 505,
//   and errors repeat until reset;
// - every view a complete request hands out is readable (ASan checks the bytes are live), and
//   the path helpers and the response writer accept whatever the request holds without letting
//   a line break into the response head.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "evq/http/request_parser.hpp"
#include "evq/http/response.hpp"

namespace {

using namespace evq::http;

void check(bool ok) {
  if (!ok) std::abort();
}

void append_view(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += ' ';
}

// Uses every view of the request and writes what a server would see into the transcript.
void record(std::string& out, const Request& r, std::size_t end) {
  append_view(out, r.method());
  append_view(out, r.target());
  append_view(out, r.path());
  append_view(out, r.query());
  append_view(out, r.host().value_or("-"));
  for (std::size_t i = 0; i < r.field_count(); ++i) {
    append_view(out, r.field(i).name);
    append_view(out, r.field(i).value);
  }
  append_view(out, r.body());
  out += std::to_string(static_cast<int>(r.version())) + std::to_string(r.keep_alive()) +
         std::to_string(r.chunked()) + " " + std::to_string(r.body_length()) + " @" +
         std::to_string(end) + "\n";
  check(!r.method().empty() && !r.target().empty());
  check(r.body().empty() || r.body().size() == r.body_length());

  // The helpers a server applies next: none may crash or split the response head.
  std::string decoded;
  for (std::string_view segment : PathSegments(r.path()))
    (void)percent_decode(segment, decoded);
  const ResponseField extra[] = {{r.method(), r.target()}};
  std::string head;
  append_head(head,
              {.status = 405, .keep_alive = r.keep_alive(), .allow = r.path(), .extra = extra});
  std::size_t lines = 0;
  for (std::size_t i = head.find("\r\n"); i != std::string::npos; i = head.find("\r\n", i + 2)) {
    ++lines;
  }
  check(lines == 6 && head_size({.status = 405, .allow = r.path(), .extra = extra}) ==
                          head.size() + (r.keep_alive() ? 0 : 5));
}

bool allowed(int status) {
  return status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
         status == 505;
}

// Piece sizes: 0 feeds everything at once, 1 one byte at a time, otherwise sizes derived from
// the input (FNV-1a hash as the seed of a xorshift generator).
class Pieces {
 public:
  Pieces(std::string_view input, int mode) : mode_(mode), state_(1469598103934665603ull) {
    for (unsigned char c : input)
      state_ = (state_ ^ c) * 1099511628211ull;
    state_ |= 1;
  }
  std::size_t next(std::size_t left) {
    if (mode_ == 0) return left;
    if (mode_ == 1) return 1;
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const std::size_t n = (state_ & 3) == 0 ? state_ % 512 : state_ % 16;
    return n + 1;
  }

 private:
  int mode_;
  std::uint64_t state_;
};

std::string transcript(std::string_view input, int mode, const Limits& limits) {
  Parser parser(limits);
  Pieces pieces(input, mode);
  std::string out;
  std::string buffered;
  std::size_t given = 0;
  std::size_t dropped = 0;
  do {
    const std::size_t n = std::min(pieces.next(input.size() - given), input.size() - given);
    buffered.append(input.substr(given, n));
    given += n;
    for (;;) {
      const FeedResult r = parser.feed(buffered);
      check(r.consumed <= buffered.size());
      if (r.state == ParseState::complete) record(out, parser.request(), dropped + r.consumed);
      buffered.erase(0, r.consumed);
      dropped += r.consumed;
      if (r.state == ParseState::error) {
        check(allowed(r.status) && r.consumed == 0 && !parser.error_detail().empty());
        const FeedResult again = parser.feed(buffered);
        check(again.state == ParseState::error && again.status == r.status);
        return out + "error " + std::to_string(r.status) + " " + std::string(parser.error_detail());
      }
      check(r.status == 0);
      if (r.state == ParseState::incomplete) break;
    }
  } while (given < input.size());
  return out + "incomplete " + std::to_string(buffered.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Limits tiny{.max_request_line = 24,
                    .max_header_bytes = 64,
                    .max_header_lines = 4,
                    .max_body = 32,
                    .max_chunk_line = 12};
  for (const Limits& limits : {Limits{}, tiny}) {
    const std::string at_once = transcript(input, 0, limits);
    check(transcript(input, 1, limits) == at_once);
    check(transcript(input, 2, limits) == at_once);
  }
  return 0;
}
