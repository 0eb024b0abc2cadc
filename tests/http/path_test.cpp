// Percent-decoding, path segments, and the path and query of each request-target form.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "evq/http/request_parser.hpp"

namespace evq::http {
namespace {

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  for (std::string_view s : PathSegments(path))
    out.emplace_back(s);
  return out;
}

// {path(), query()} of a request for `target`.
std::pair<std::string, std::string> path_query(std::string_view target) {
  const std::string text = "GET " + std::string(target) + " HTTP/1.0\r\n\r\n";
  Parser parser;
  EXPECT_EQ(parser.feed(text).state, ParseState::complete);
  return {std::string(parser.request().path()), std::string(parser.request().query())};
}

TEST(HttpPath, PercentDecodeDecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("/a%2Fb%2fc"), "/a/b/c");
  EXPECT_EQ(percent_decode("hello%20world%21"), "hello world!");
  EXPECT_EQ(percent_decode("%41%6a%6A"), "Ajj");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // not form encoding
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%00%ff"), std::string("\0\xff", 2));
  EXPECT_EQ(percent_decode("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(HttpPath, PercentDecodeRejectsInvalidEscapesAndLeavesTheOutputAlone) {
  for (const char* bad : {"%", "%4", "a%zz", "%%", "%g0", "ok%2", "%-1"}) {
    EXPECT_EQ(percent_decode(bad), std::nullopt) << bad;
    std::string out = "kept";
    EXPECT_FALSE(percent_decode(bad, out));
    EXPECT_EQ(out, "kept");
  }
}

TEST(HttpPath, PercentDecodeAppends) {
  std::string out = "x:";
  EXPECT_TRUE(percent_decode("%41", out));
  EXPECT_EQ(out, "x:A");
}

TEST(HttpPath, SegmentsSplitOnSlashesAndKeepEncodedSlashes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(segments(""), V{});
  EXPECT_EQ(segments("/"), V{""});
  EXPECT_EQ(segments("/a"), V{"a"});
  EXPECT_EQ(segments("/a/b"), (V{"a", "b"}));
  EXPECT_EQ(segments("/a//b/"), (V{"a", "", "b", ""}));
  EXPECT_EQ(segments("/1000/hello%2Fworld"), (V{"1000", "hello%2Fworld"}));
  EXPECT_EQ(segments("a/b"), (V{"a", "b"}));
  EXPECT_EQ(segments("*"), V{"*"});
}

TEST(HttpPath, SegmentIteratorGivesTheRemainder) {
  PathSegments segs("/5/a/b");
  auto it = segs.begin();
  EXPECT_EQ(*it, "5");
  ++it;
  EXPECT_EQ(*it, "a");
  EXPECT_EQ(it.remainder(), "a/b");
  it++;
  EXPECT_EQ(*it, "b");
  ++it;
  EXPECT_TRUE(it == segs.end());
}

TEST(HttpPath, PathAndQueryOfEachTargetForm) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(path_query("/a/b?x=1&y"), (P{"/a/b", "x=1&y"}));
  EXPECT_EQ(path_query("/a?"), (P{"/a", ""}));
  EXPECT_EQ(path_query("/a"), (P{"/a", ""}));
  EXPECT_EQ(path_query("/a?b?c"), (P{"/a", "b?c"}));
  EXPECT_EQ(path_query("http://h:80/p/q?r"), (P{"/p/q", "r"}));
  EXPECT_EQ(path_query("http://h"), (P{"/", ""}));
  EXPECT_EQ(path_query("https://h?q"), (P{"/", "q"}));
  EXPECT_EQ(path_query("*"), (P{"*", ""}));
  EXPECT_EQ(path_query("h:443"), (P{"h:443", ""}));
  EXPECT_EQ(path_query("/x://y"), (P{"/x://y", ""}));
}

}  // namespace
}  // namespace evq::http
