// The response writer: status lines, the fields every response has, HEAD, and the buffer forms.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "evq/http/response.hpp"

namespace evq::http {
namespace {

TEST(HttpResponse, ReasonPhrasesForTheStatusesEvqAnswers) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(414), "URI Too Long");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(500), "Internal Server Error");
  EXPECT_EQ(reason_phrase(501), "Not Implemented");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "");
}

TEST(HttpResponse, OkWithABody) {
  std::string out;
  append_response(out, {.content_type = "text/plain"}, "hello", false);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            "Connection: keep-alive\r\n\r\nhello");
}

TEST(HttpResponse, ConnectionCloseWhenNotKeepingAlive) {
  std::string out;
  append_head(out, {.status = 404, .keep_alive = false});
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponse, MethodNotAllowedCarriesAllow) {
  std::string out;
  append_head(out, {.status = 405, .allow = "GET, HEAD"});
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: keep-alive\r\n"
            "Allow: GET, HEAD\r\n\r\n");
}

TEST(HttpResponse, HeadGetsTheFieldsOfGetAndNoBody) {
  std::string get;
  std::string head;
  append_response(get, {}, "body!", false);
  append_response(head, {}, "body!", true);
  EXPECT_EQ(get, head + "body!");
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
}

TEST(HttpResponse, ExtraFieldsComeLast) {
  const std::array<ResponseField, 2> extra{{{"Date", "Mon, 01 Jan 2024 00:00:00 GMT"}, {"X", ""}}};
  std::string out;
  append_head(out, {.content_length = 12, .extra = extra});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\n"
            "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nX: \r\n\r\n");
}

TEST(HttpResponse, NoContentLengthFor1xxAnd204) {
  std::string out;
  append_head(out, {.status = 204});
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
  out.clear();
  append_head(out, {.status = 100});
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
}

TEST(HttpResponse, UnknownAndInvalidStatuses) {
  std::string out;
  append_head(out, {.status = 299});
  EXPECT_EQ(out.substr(0, 15), "HTTP/1.1 299 \r\n");
  out.clear();
  append_head(out, {.status = 42});
  EXPECT_EQ(out.substr(0, 35), "HTTP/1.1 500 Internal Server Error\r");
}

TEST(HttpResponse, LineBreaksInCallerTextCannotSplitTheResponse) {
  const std::array<ResponseField, 1> extra{{{"X\r\nY", "a\r\nSet-Cookie: b"}}};
  std::string out;
  append_head(out, {.content_type = std::string_view("t\n\0x", 4), .extra = extra});
  EXPECT_EQ(
      out,
      "HTTP/1.1 200 OK\r\nContent-Type: t  x\r\nContent-Length: 0\r\nConnection: keep-alive\r\n"
      "X  Y: a  Set-Cookie: b\r\n\r\n");
}

TEST(HttpResponse, EveryLineBreakOrNulInALongValueBecomesASpace) {
  // Values longer than a word are checked eight bytes at a time: try every position.
  for (const char bad : {'\r', '\n', '\0'}) {
    for (std::size_t i = 0; i < 21; ++i) {
      std::string value(21, 'v');
      value[i] = bad;
      std::string expected = value;
      expected[i] = ' ';
      std::string out;
      append_head(out, {.content_type = value});
      EXPECT_NE(out.find("Content-Type: " + expected + "\r\n"), std::string::npos) << i;
    }
  }
}

TEST(HttpResponse, WriteHeadFillsAFixedBufferOrSaysHowMuchItNeeds) {
  const ResponseHead head{.status = 503, .content_length = 1234567890123, .keep_alive = false};
  std::string expected;
  append_head(expected, head);
  EXPECT_EQ(head_size(head), expected.size());
  std::array<char, 256> buf{};
  ASSERT_EQ(write_head(buf, head), expected.size());
  EXPECT_EQ(std::string_view(buf.data(), expected.size()), expected);
  std::array<char, 16> small{};
  EXPECT_EQ(write_head(small, head), expected.size());
  EXPECT_EQ(small, (std::array<char, 16>{}));  // nothing written
}

TEST(HttpResponse, AppendAddsToWhatIsThere) {
  std::string out = "previous";
  append_head(out, {});
  EXPECT_EQ(out.substr(0, 17), "previousHTTP/1.1 ");
}

TEST(HttpResponse, ErrorResponsesSayWhatWasWrong) {
  std::string out;
  append_error(out, {.status = 400, .keep_alive = false}, "missing Host header", false);
  EXPECT_EQ(
      out,
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 37\r\nConnection: close\r\n\r\n400 Bad Request: missing Host header\n");
  out.clear();
  append_error(out, {.status = 404}, "", false);
  EXPECT_TRUE(out.ends_with("Content-Length: 14\r\nConnection: keep-alive\r\n\r\n404 Not Found\n"));
  out.clear();
  append_error(out, {.status = 405, .allow = "GET"}, "", true);
  EXPECT_TRUE(out.ends_with("Content-Length: 23\r\nConnection: keep-alive\r\nAllow: GET\r\n\r\n"));
}

}  // namespace
}  // namespace evq::http
