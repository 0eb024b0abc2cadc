// Parsing and writing allocate nothing once warmed up: not per byte, not per request. Its own
// binary, because it replaces the global operator new.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "evq/http/request_parser.hpp"
#include "evq/http/response.hpp"

#include "support/counting_new.hpp"

namespace evq::http {
namespace {

constexpr std::string_view kStream =
    "GET /1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"
    "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
    "PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    "GET /4 HTTP/1.0\r\n\r\n";

// Feeds kStream one byte at a time, as a server would; returns the requests seen.
int serve(Parser& parser, std::string& buffered, std::string& out) {
  int requests = 0;
  for (char c : kStream) {
    buffered.push_back(c);
    for (;;) {
      const FeedResult r = parser.feed(buffered);
      if (r.state == ParseState::complete) {
        ++requests;
        append_response(out, {.keep_alive = parser.request().keep_alive()}, parser.request().body(),
                        parser.request().is_head());
      }
      buffered.erase(0, r.consumed);
      if (r.state != ParseState::complete) break;
    }
  }
  return requests;
}

TEST(HttpAlloc, ParsingAndAnsweringAllocateNothingAfterWarmUp) {
  Parser parser;
  std::string buffered;
  std::string out;
  buffered.reserve(1024);
  out.reserve(4096);
  ASSERT_EQ(serve(parser, buffered, out), 4);  // warm-up: the parser's storage grows once
  out.clear();
  evq::test::counting_allocations = true;
  const int requests = serve(parser, buffered, out);
  evq::test::counting_allocations = false;
  EXPECT_EQ(requests, 4);
  EXPECT_EQ(evq::test::allocations, 0);
}

}  // namespace
}  // namespace evq::http
