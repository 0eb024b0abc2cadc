// The size limits: exactly at each limit passes, one byte or line over fails with its status,
// whether the input arrives at once or byte by byte, and before the rest of the head arrives.
#include <gtest/gtest.h>

#include <string>

#include "drive.hpp"
#include "evq/http/request_parser.hpp"

namespace evq::http::test {
namespace {

std::string get_line() {
  return "GET / HTTP/1.1\r\n";
}

// "GET /aaa... HTTP/1.1" of exactly `length` bytes (line ending excluded).
std::string request_line(std::size_t length) {
  const std::size_t fixed = std::string_view("GET / HTTP/1.1").size();
  return "GET /" + std::string(length - fixed, 'a') + " HTTP/1.1";
}

// Header field lines (line endings included) of exactly `bytes` bytes, Host first.
std::string fields_of_size(std::size_t bytes) {
  const std::string host = "Host: a\r\n";
  return host + "X: " + std::string(bytes - host.size() - 5, 'v') + "\r\n";
}

std::string fields_of_lines(std::size_t lines) {
  std::string out = "Host: a\r\n";
  for (std::size_t i = 1; i < lines; ++i)
    out += "X-" + std::to_string(i) + ": v\r\n";
  return out;
}

TEST(HttpLimits, RequestLineOf8KiBPassesAndOneMoreByteIs414) {
  EXPECT_EQ(parse_one(request_line(8192) + "\r\nHost: a\r\n\r\n").target.size(), 8192u - 13u);
  EXPECT_EQ(parse_one(request_line(8192) + "\nHost: a\n\n").target.size(), 8192u - 13u);
  EXPECT_EQ(status_of(request_line(8193) + "\r\nHost: a\r\n\r\n"), 414);
  EXPECT_EQ(status_of(request_line(8193) + "\nHost: a\n\n"), 414);
}

TEST(HttpLimits, RequestLineOver8KiBIs414BeforeItsEndArrives) {
  EXPECT_EQ(parse(request_line(8192) + "\r").last, ParseState::incomplete);
  const Outcome o = parse(request_line(8195));
  EXPECT_EQ(o.status, 414);
  EXPECT_EQ(parse(std::string(20000, 'x')).status, 414);
}

TEST(HttpLimits, HeaderFieldsOf16KiBPassAndOneMoreByteIs431) {
  const Parsed p = parse_one(get_line() + fields_of_size(16384) + "\r\n");
  EXPECT_EQ(p.fields.size(), 2u);
  EXPECT_EQ(status_of(get_line() + fields_of_size(16385) + "\r\n"), 431);
  // With bare LF line endings the same bytes hold one more byte of value.
  std::string lf = fields_of_size(16384);
  lf.replace(lf.size() - 2, 1, "v");
  EXPECT_EQ(parse_one(get_line() + lf + "\r\n").fields.size(), 2u);
  EXPECT_EQ(status_of(get_line() + lf.insert(lf.size() - 1, "v") + "\r\n"), 431);
}

TEST(HttpLimits, HeaderFieldsOver16KiBAre431BeforeTheHeadEnds) {
  std::string fields = fields_of_size(16384);
  fields.resize(fields.size() - 2);  // the last line has no ending yet
  EXPECT_EQ(parse(get_line() + fields + "\r").last, ParseState::incomplete);
  EXPECT_EQ(parse(get_line() + fields + "vv").status, 431);
  EXPECT_EQ(parse(get_line() + "Host: a\r\n" + std::string(40000, 'x')).status, 431);
}

TEST(HttpLimits, HundredFieldLinesPassAndOneMoreIs431) {
  EXPECT_EQ(parse_one(get_line() + fields_of_lines(100) + "\r\n").fields.size(), 100u);
  EXPECT_EQ(status_of(get_line() + fields_of_lines(101) + "\r\n"), 431);
  EXPECT_EQ(parse(get_line() + fields_of_lines(100) + "X").last, ParseState::incomplete);
  EXPECT_EQ(parse(get_line() + fields_of_lines(100) + "X:").status, 431);
}

TEST(HttpLimits, TrailersHaveTheirOwnBudgetOfTheSameSize) {
  const std::string head = "POST / HTTP/1.1\r\n" + fields_of_size(16000) +
                           "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n";
  const std::string trailers = fields_of_size(16384);
  EXPECT_EQ(parse_one(head + trailers + "\r\n").body, "x");
  EXPECT_EQ(status_of(head + fields_of_size(16385) + "\r\n"), 431);
  EXPECT_EQ(parse_one(head + fields_of_lines(100) + "\r\n").body, "x");
  EXPECT_EQ(status_of(head + fields_of_lines(101) + "\r\n"), 431);
}

TEST(HttpLimits, LimitsCanBeLowered) {
  const Limits limits{.max_request_line = 20, .max_header_bytes = 20, .max_header_lines = 2};
  EXPECT_EQ(parse_one(request_line(20) + "\r\nHost: a\r\n\r\n", limits).method, "GET");
  EXPECT_EQ(status_of(request_line(21) + "\r\nHost: a\r\n\r\n", limits), 414);
  EXPECT_EQ(status_of(request_line(20) + "\r\nHost: a\r\nX: 1234567890\r\n\r\n", limits), 431);
  EXPECT_EQ(status_of(request_line(20) + "\r\nHost: a\r\nX:\r\nY:\r\n\r\n", limits), 431);
}

TEST(HttpLimits, HeaderLinesCannotBeRaisedAbove100) {
  const Limits limits{.max_header_lines = 1000};
  EXPECT_EQ(Parser(limits).limits().max_header_lines, kMaxHeaderLines);
  EXPECT_EQ(status_of(get_line() + fields_of_lines(101) + "\r\n", limits), 431);
}

TEST(HttpLimits, ChunkSizeLinesAreBounded) {
  const std::string head = get_line() + "Host: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const Limits limits{.max_chunk_line = 8};
  EXPECT_EQ(parse_one(head + "1;abcdef\r\nx\r\n0\r\n\r\n", limits).body, "x");
  EXPECT_EQ(status_of(head + "1;abcdefg\r\nx\r\n0\r\n\r\n", limits), 400);
  EXPECT_EQ(parse(head + "1;abcdefgh", limits).status, 400);
}

// A client that never ends its head cannot make the server hold more than the limits allow.
TEST(HttpLimits, UnconsumedBytesStayWithinTheLimits) {
  Parser parser;
  std::string buffered;
  const std::string input = request_line(8192) + "\r\nHost: a\r\n" + std::string(100000, 'x');
  std::size_t most = 0;
  for (char c : input) {
    buffered.push_back(c);
    const FeedResult r = parser.feed(buffered);
    buffered.erase(0, r.consumed);
    most = std::max(most, buffered.size());
    if (r.state == ParseState::error) break;
  }
  EXPECT_EQ(parser.feed(buffered).status, 431);
  EXPECT_LE(most, 8192u + 2 + 16384 + 1);
}

}  // namespace
}  // namespace evq::http::test
