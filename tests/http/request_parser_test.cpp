// The request parser's rules, one per test. Every input goes through parse(), which also feeds it
// one byte at a time and in other splits and expects the same outcome.
#include <gtest/gtest.h>

#include <string>

#include "drive.hpp"
#include "evq/http/request_parser.hpp"

namespace evq::http::test {
namespace {

std::string get(std::string_view version, std::string_view fields) {
  return "GET / HTTP/" + std::string(version) + "\r\n" + std::string(fields) + "\r\n";
}

TEST(HttpRequest, ParsesASimpleGet) {
  const std::string text = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  const Parsed p = parse_one(text);
  EXPECT_EQ(p.method, "GET");
  EXPECT_EQ(p.target, "/a/b?x=1");
  EXPECT_EQ(p.version, Version::http_1_1);
  EXPECT_EQ(p.host, "example.com");
  EXPECT_TRUE(p.keep_alive);
  ASSERT_EQ(p.fields.size(), 2u);
  EXPECT_EQ(p.fields[1].first, "Accept");
  EXPECT_EQ(p.fields[1].second, "*/*");
  EXPECT_EQ(p.body_length, 0u);
  EXPECT_FALSE(p.chunked);
}

TEST(HttpRequest, AccessorsSplitTheTargetAndFindFieldsCaseInsensitively) {
  Parser parser;
  const std::string text = "GET /p%20q?a=b HTTP/1.1\r\nHOST: h:8080\r\nX-Thing:  v  \r\n\r\n";
  const FeedResult r = parser.feed(text);
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, text.size());
  const Request& req = parser.request();
  EXPECT_EQ(req.path(), "/p%20q");
  EXPECT_EQ(req.query(), "a=b");
  EXPECT_EQ(req.host(), "h:8080");
  EXPECT_EQ(req.find("x-thing"), "v");
  EXPECT_EQ(req.find("missing"), std::nullopt);
  EXPECT_FALSE(req.is_head());
}

TEST(HttpRequest, AnyTokenIsAMethodTheServerDecides405) {
  for (const char* method : {"FOO", "M-SEARCH", "get", "PROPFIND", "X!#$%&'*+-.^_`|~9"}) {
    const Parsed p = parse_one(std::string(method) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(p.method, method);
  }
  EXPECT_EQ(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(HttpRequest, MalformedRequestLinesAre400) {
  for (const char* line :
       {"GET /", "GET / ", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET\t/ HTTP/1.1", "GET HTTP/1.1",
        "GET /a\x01 HTTP/1.1", "GET /a\x7f HTTP/1.1", "GET / HTTP/1.1\rX", "/ HTTP/1.1"}) {
    EXPECT_EQ(status_of(std::string(line) + "\r\nHost: a\r\n\r\n"), 400) << line;
  }
}

TEST(HttpRequest, VersionsOtherThan10And11Are505ButGarbageIs400) {
  for (const char* v : {"2.0", "0.9", "1.2", "3.7"})
    EXPECT_EQ(status_of(get(v, "Host: a\r\n")), 505);
  for (const char* v : {"x", "1.10", "1", "1.x", "11.1", "1,1"}) {
    EXPECT_EQ(status_of(get(v, "Host: a\r\n")), 400) << v;
  }
  EXPECT_EQ(status_of("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTPS/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(HttpRequest, TargetMayHoldObsTextAndEveryForm) {
  EXPECT_EQ(parse_one("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n").target, "/caf\xc3\xa9");
  EXPECT_EQ(parse_one("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").target, "*");
  EXPECT_EQ(parse_one("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n").target, "a:443");
  EXPECT_EQ(parse_one("GET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n").target, "http://a/b?c");
}

TEST(HttpRequest, Http11WithoutHostIs400) {
  EXPECT_EQ(status_of(get("1.1", "")), 400);
  EXPECT_EQ(status_of(get("1.1", "Accept: */*\r\n")), 400);
}

TEST(HttpRequest, Http10NeedsNoHost) {
  const Parsed p = parse_one(get("1.0", ""));
  EXPECT_EQ(p.version, Version::http_1_0);
  EXPECT_EQ(p.host, std::nullopt);
}

TEST(HttpRequest, EmptyHostIsAccepted) {
  EXPECT_EQ(parse_one(get("1.1", "Host:\r\n")).host, "");
}

TEST(HttpRequest, RepeatedOrInvalidHostIs400) {
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nHost: a\r\n")), 400);
  EXPECT_EQ(status_of(get("1.0", "Host: a\r\nhost: b\r\n")), 400);
  for (const char* h : {"a b", "a/b", "a@b", "a\"b", "a\\b"}) {
    EXPECT_EQ(status_of(get("1.1", "Host: " + std::string(h) + "\r\n")), 400) << h;
  }
  EXPECT_EQ(parse_one(get("1.1", "Host: [::1]:8080\r\n")).host, "[::1]:8080");
}

TEST(HttpRequest, Http11KeepsAliveUnlessConnectionClose) {
  EXPECT_TRUE(parse_one(get("1.1", "Host: a\r\n")).keep_alive);
  EXPECT_FALSE(parse_one(get("1.1", "Host: a\r\nConnection: close\r\n")).keep_alive);
  EXPECT_TRUE(parse_one(get("1.1", "Host: a\r\nConnection: keep-alive\r\n")).keep_alive);
}

TEST(HttpRequest, Http10ClosesUnlessConnectionKeepAlive) {
  EXPECT_FALSE(parse_one(get("1.0", "")).keep_alive);
  EXPECT_TRUE(parse_one(get("1.0", "Connection: keep-alive\r\n")).keep_alive);
  EXPECT_TRUE(parse_one(get("1.0", "Connection: Keep-Alive\r\n")).keep_alive);
}

TEST(HttpRequest, ConnectionIsACaseInsensitiveTokenListAndCloseWins) {
  EXPECT_FALSE(parse_one(get("1.1", "Host: a\r\nConnection: Upgrade, CLOSE\r\n")).keep_alive);
  EXPECT_FALSE(
      parse_one(get("1.1", "Host: a\r\nConnection: x\r\nConnection: close\r\n")).keep_alive);
  EXPECT_TRUE(parse_one(get("1.1", "Host: a\r\nConnection: closed, x-close\r\n")).keep_alive);
  EXPECT_FALSE(parse_one(get("1.0", "Connection: keep-alive, close\r\n")).keep_alive);
  EXPECT_TRUE(parse_one(get("1.0", "Connection: ,,te, keep-alive ,\r\n")).keep_alive);
}

TEST(HttpRequest, ContentLengthBodyIsReadAndExposed) {
  const Parsed p = parse_one("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(p.body_length, 5u);
  EXPECT_EQ(p.body, "hello");
  EXPECT_FALSE(p.chunked);
  EXPECT_EQ(parse_one("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").body, "");
  EXPECT_EQ(parse_one("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n1234567").body,
            "1234567");
}

TEST(HttpRequest, IncompleteBodyWaits) {
  const Outcome o = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello");
  EXPECT_EQ(o.last, ParseState::incomplete);
  EXPECT_TRUE(o.requests.empty());
}

TEST(HttpRequest, InvalidContentLengthIs400) {
  for (const char* v : {"abc", "-1", "+1", "1 2", "", "0x10", "1,1", "1, 1", "1.0",
                        "99999999999999999999", "18446744073709551616"}) {
    EXPECT_EQ(status_of(get("1.1", "Host: a\r\nContent-Length: " + std::string(v) + "\r\n")), 400)
        << v;
  }
}

TEST(HttpRequest, RepeatedContentLengthIs400EvenWhenEqual) {
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n")), 400);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n")), 400);
}

TEST(HttpRequest, BodyAboveTheLimitIs413) {
  const Limits limits{.max_body = 4};
  EXPECT_EQ(parse_one(get("1.1", "Host: a\r\nContent-Length: 4\r\n") + "abcd", limits).body,
            "abcd");
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nContent-Length: 5\r\n"), limits), 413);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nContent-Length: 18446744073709551615\r\n")), 413);
  const std::string chunked = get("1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n");
  EXPECT_EQ(parse_one(chunked + "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", limits).body, "abcd");
  EXPECT_EQ(status_of(chunked + "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", limits), 413);
}

TEST(HttpRequest, ChunkedBodyIsDecoded) {
  const Parsed p = parse_one(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1A;name=value;x\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n");
  EXPECT_TRUE(p.chunked);
  EXPECT_EQ(p.body, "helloabcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(p.body_length, 31u);
}

TEST(HttpRequest, ChunkedAllowsExtensionsBwsTrailersAndLeadingZeros) {
  const Parsed p = parse_one(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "0003 ;ext=\"q\"\r\nabc\r\n000\r\nTrailer-One: x\r\nT2: y\r\n\r\n");
  EXPECT_EQ(p.body, "abc");
  EXPECT_EQ(p.fields.size(), 2u);  // trailers are checked, not kept
}

TEST(HttpRequest, MalformedChunksAre400) {
  const std::string head = get("1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n");
  for (const char* body :
       {"zz\r\n", "\r\n", "3\r\nabcd\r\n0\r\n\r\n", "3\r\nabc\rX", "3x\r\nabc\r\n0\r\n\r\n",
        "3;\x01\r\nabc\r\n0\r\n\r\n", "10000000000000000\r\n", "0\r\nbad trailer\r\n\r\n",
        "0\r\n folded: x\r\n\r\n", "-1\r\n"}) {
    EXPECT_EQ(status_of(head + body), 400) << body;
  }
}

TEST(HttpRequest, OnlyChunkedTransferEncodingIsSupported) {
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: gzip\r\n")), 501);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: identity\r\n")), 501);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: gzip, chunked\r\n")), 501);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: chunked;q=1\r\n")), 501);
}

TEST(HttpRequest, ChunkedNotLastOrTwiceOrEmptyIs400) {
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: chunked, gzip\r\n")), 400);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: chunked, chunked\r\n")), 400);
  EXPECT_EQ(status_of(get("1.1",
                          "Host: a\r\nTransfer-Encoding: chunked\r\n"
                          "Transfer-Encoding: chunked\r\n")),
            400);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding:\r\n")), 400);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: , \r\n")), 400);
}

TEST(HttpRequest, ContentLengthWithTransferEncodingIs400) {
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n")),
            400);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n")),
            400);
}

TEST(HttpRequest, TransferEncodingInHttp10Is400) {
  EXPECT_EQ(status_of(get("1.0", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n"), 400);
}

TEST(HttpRequest, ObsFoldIs400) {
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nX: a\r\n b\r\n")), 400);
  EXPECT_EQ(status_of(get("1.1", "Host: a\r\nX: a\r\n\tb\r\n")), 400);
  EXPECT_EQ(status_of(get("1.1", " Host: a\r\n")), 400);  // whitespace before the first field
}

TEST(HttpRequest, MalformedFieldLinesAre400) {
  for (const char* line :
       {"Host : a", "Host\t: a", "Host a", ": a", "Ho(st: a", "X: a\x01", "X: a\rb", "X: \x7f"}) {
    EXPECT_EQ(status_of(get("1.1", "Host: a\r\n" + std::string(line) + "\r\n")), 400) << line;
  }
  EXPECT_EQ(status_of(get("1.1", std::string("Host: a\r\nX: a\0b\r\n", 18))), 400);
}

TEST(HttpRequest, FieldValuesLoseSurroundingWhitespaceAndMayBeEmpty) {
  const Parsed p = parse_one(get("1.1", "Host: a\r\nX:\t v w \t\r\nEmpty:\r\nObs: \x80\xff\r\n"));
  ASSERT_EQ(p.fields.size(), 4u);
  EXPECT_EQ(p.fields[1].second, "v w");
  EXPECT_EQ(p.fields[2].second, "");
  EXPECT_EQ(p.fields[3].second, "\x80\xff");
}

TEST(HttpRequest, BareLfIsAcceptedInTheHead) {
  const Parsed crlf = parse_one("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n");
  Parsed lf = parse_one("GET / HTTP/1.1\nHost: a\nX: y\n\n");
  lf.end = crlf.end;
  EXPECT_EQ(lf, crlf);
  EXPECT_EQ(parse_one("GET / HTTP/1.0\n\r\n").method, "GET");
  EXPECT_EQ(
      parse_one("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n1\r\nx\r\n0\r\n\r\n").body,
      "x");
}

TEST(HttpRequest, BareLfInAChunkedBodyIs400) {
  const std::string head = get("1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n");
  for (const char* body : {"1\nx\r\n0\r\n\r\n", "1\r\nx\n0\r\n\r\n", "1\r\nx\r\n0\n\r\n",
                           "1\r\nx\r\n0\r\nT: v\n\r\n", "1\r\nx\r\n0\r\n\n"}) {
    EXPECT_EQ(status_of(head + body), 400) << body;
  }
  EXPECT_EQ(parse_one(head + "1\r\nx\r\n0\r\nT: v\r\n\r\n").body, "x");
}

TEST(HttpRequest, EmptyLinesBeforeARequestAreSkippedAndConsumed) {
  const Outcome o = parse("\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(o.requests.size(), 1u);
  EXPECT_TRUE(o.ok());
  Parser parser;
  const FeedResult r = parser.feed("\r\n\r\nGE");
  EXPECT_EQ(r.state, ParseState::incomplete);
  EXPECT_EQ(r.consumed, 4u);  // a client sending only empty lines cannot fill the buffer
}

TEST(HttpRequest, PipelinedRequestsInOneChunkStayInStep) {
  const std::string a = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string b = "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz";
  const std::string c =
      "PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nGE\r\n0\r\n\r\n";
  const std::string d = "GET /4 HTTP/1.0\r\n\r\n";
  const Outcome o = parse(a + b + c + d + "GET /5");
  ASSERT_EQ(o.requests.size(), 4u);
  EXPECT_EQ(o.requests[0].target, "/1");
  EXPECT_EQ(o.requests[1].body, "xyz");
  EXPECT_EQ(o.requests[2].body, "GE");
  EXPECT_EQ(o.requests[3].target, "/4");
  EXPECT_FALSE(o.requests[3].keep_alive);
  EXPECT_EQ(o.requests[1].end, a.size() + b.size());
  EXPECT_EQ(o.last, ParseState::incomplete);
  EXPECT_EQ(o.leftover, 6u);
}

TEST(HttpRequest, AnErrorAfterPipelinedRequestsStopsThere) {
  const Outcome o =
      parse("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n");
  ASSERT_EQ(o.requests.size(), 1u);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.detail, "missing Host header (HTTP/1.1 requires it)");
}

TEST(HttpRequest, ErrorsRepeatUntilReset) {
  Parser parser;
  EXPECT_EQ(parser.feed("BAD\r\n").status, 400);
  EXPECT_EQ(parser.feed("GET / HTTP/1.0\r\n\r\n").status, 400);
  parser.reset();
  EXPECT_EQ(parser.feed("GET / HTTP/1.0\r\n\r\n").state, ParseState::complete);
}

TEST(HttpRequest, ARequestWithABodyKeepsItsHeadSoTheCallerCanDropIt) {
  Parser parser;
  std::string buffered = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nab";
  FeedResult r = parser.feed(buffered);
  ASSERT_EQ(r.state, ParseState::incomplete);
  EXPECT_EQ(r.consumed, buffered.size());  // head copied, body bytes taken
  buffered.assign(r.consumed, '#');        // the caller reuses its buffer
  buffered = "cdefGET";
  r = parser.feed(buffered);
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, 4u);
  EXPECT_EQ(parser.request().method(), "POST");
  EXPECT_EQ(parser.request().path(), "/upload");
  EXPECT_EQ(parser.request().host(), "h");
  EXPECT_EQ(parser.request().body(), "abcdef");
}

TEST(HttpRequest, TheHeadIsReadableWhileTheBodyArrives) {
  Parser parser;
  EXPECT_FALSE(parser.reading_body());
  const FeedResult r = parser.feed(
      "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n");
  EXPECT_EQ(r.state, ParseState::incomplete);
  ASSERT_TRUE(parser.reading_body());
  EXPECT_EQ(parser.request().method(), "PUT");
  EXPECT_EQ(parser.request().find("expect"), "100-continue");
  EXPECT_EQ(parser.request().body_length(), 9u);
  EXPECT_EQ(parser.feed("123456789").state, ParseState::complete);
  EXPECT_FALSE(parser.reading_body());
}

TEST(HttpRequest, TheBodyCanBeCountedWithoutKeepingIt) {
  const Limits limits{.keep_body = false};
  const Parsed p = parse_one(get("1.1", "Host: a\r\nContent-Length: 3\r\n") + "abc", limits);
  EXPECT_EQ(p.body_length, 3u);
  EXPECT_EQ(p.body, "");
}

TEST(HttpRequest, FewerBytesThanBeforeStartsOver) {
  Parser parser;
  EXPECT_EQ(parser.feed("GET /long-path HTTP/1").state, ParseState::incomplete);
  const FeedResult r = parser.feed("GET / HTTP/1.0\n\n");
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(parser.request().target(), "/");
}

TEST(HttpRequest, EmptyInputIsIncomplete) {
  Parser parser;
  const FeedResult r = parser.feed("");
  EXPECT_EQ(r.state, ParseState::incomplete);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(HttpRequest, ErrorDetailsSayWhatWasWrong) {
  Parser parser;
  (void)parser.feed("GET / HTTP/2.0\r\n");
  EXPECT_EQ(parser.error_detail(), "HTTP version not supported: use HTTP/1.1 or HTTP/1.0");
}

}  // namespace
}  // namespace evq::http::test
