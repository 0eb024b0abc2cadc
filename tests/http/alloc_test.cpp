// Parsing and writing allocate nothing once warmed up: not per byte, not per request. Its own
// binary, because it replaces the global operator new.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "evq/http/request_parser.hpp"
#include "evq/http/response.hpp"

// g++ cannot see that these replacements pair malloc with free on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
thread_local bool counting = false;
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

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
  counting = true;
  const int requests = serve(parser, buffered, out);
  counting = false;
  EXPECT_EQ(requests, 4);
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace evq::http
