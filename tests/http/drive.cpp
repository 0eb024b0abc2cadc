#include "drive.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <ostream>

namespace evq::http::test {
namespace {

Parsed snapshot(const Request& r, std::size_t end) {
  Parsed p;
  p.method = r.method();
  p.target = r.target();
  p.version = r.version();
  p.keep_alive = r.keep_alive();
  if (auto h = r.host()) p.host = std::string(*h);
  for (std::size_t i = 0; i < r.field_count(); ++i) {
    p.fields.emplace_back(r.field(i).name, r.field(i).value);
  }
  p.chunked = r.chunked();
  p.body_length = r.body_length();
  p.body = r.body();
  p.end = end;
  return p;
}

bool allowed_status(int status) {
  return status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
         status == 505;
}

}  // namespace

void PrintTo(const Parsed& p, std::ostream* os) {
  *os << "{" << p.method << " " << p.target << " 1." << (p.version == Version::http_1_1 ? 1 : 0)
      << " keep_alive=" << p.keep_alive << " host=" << p.host.value_or("(none)")
      << " fields=" << p.fields.size() << " chunked=" << p.chunked
      << " body_length=" << p.body_length << " body=" << p.body.size() << "B end=" << p.end << "}";
}

void PrintTo(const Outcome& o, std::ostream* os) {
  *os << "{requests=[";
  for (const Parsed& p : o.requests)
    PrintTo(p, os);
  *os << "] last=" << static_cast<int>(o.last) << " status=" << o.status << " detail=\"" << o.detail
      << "\" leftover=" << o.leftover << "}";
}

Outcome drive(std::string_view input, std::span<const std::size_t> reads, Limits limits) {
  Parser parser(limits);
  Outcome out;
  std::string buffered;
  std::size_t given = 0;
  std::size_t dropped = 0;  // input bytes consumed so far
  for (std::size_t k = 0;; ++k) {
    const std::size_t n =
        std::min(std::max<std::size_t>(reads[k % reads.size()], 1), input.size() - given);
    buffered.append(input.substr(given, n));
    given += n;
    for (;;) {
      const FeedResult r = parser.feed(buffered);
      EXPECT_LE(r.consumed, buffered.size());
      if (r.state == ParseState::complete) {
        out.requests.push_back(snapshot(parser.request(), dropped + r.consumed));
      }
      buffered.erase(0, r.consumed);
      dropped += r.consumed;
      if (r.state == ParseState::error) {
        EXPECT_TRUE(allowed_status(r.status)) << r.status;
        EXPECT_EQ(r.consumed, 0u);
        EXPECT_FALSE(parser.error_detail().empty());
        const FeedResult again = parser.feed(buffered);
        EXPECT_EQ(again.state, ParseState::error);
        EXPECT_EQ(again.status, r.status);
        out.last = ParseState::error;
        out.status = r.status;
        out.detail = parser.error_detail();
        return out;  // leftover stays 0: how much had arrived depends on the split
      }
      EXPECT_EQ(r.status, 0);
      if (r.state == ParseState::incomplete) break;
    }
    if (given == input.size()) break;
  }
  out.leftover = buffered.size();
  return out;
}

Outcome parse(std::string_view input, Limits limits) {
  const std::array<std::size_t, 1> all{input.size()};
  const Outcome at_once = drive(input, all, limits);
  const std::array<std::size_t, 1> one{1};
  EXPECT_EQ(drive(input, one, limits), at_once) << "one byte at a time";
  const std::array<std::size_t, 5> uneven{2, 3, 7, 1, 64};
  EXPECT_EQ(drive(input, uneven, limits), at_once) << "uneven reads";
  for (std::size_t cut = 1; cut < input.size() && cut < 4096; cut = cut * 3 + 1) {
    const std::array<std::size_t, 2> two{cut, input.size()};
    EXPECT_EQ(drive(input, two, limits), at_once) << "split at " << cut;
  }
  return at_once;
}

Parsed parse_one(std::string_view input, Limits limits) {
  const Outcome o = parse(input, limits);
  EXPECT_TRUE(o.ok()) << o.status << " " << o.detail;
  EXPECT_EQ(o.requests.size(), 1u);
  if (o.requests.size() != 1) return {};
  EXPECT_EQ(o.requests[0].end, input.size());
  return o.requests[0];
}

int status_of(std::string_view input, Limits limits) {
  const Outcome o = parse(input, limits);
  return o.status;
}

}  // namespace evq::http::test
