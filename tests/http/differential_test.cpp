// evq's request parser against libhttp-parser 2.9 (the C library, used here only as an oracle)
// over the corpus in corpus.hpp: both must agree on valid, invalid or incomplete and, for valid
// requests, on method, URL, version, keep-alive and body length. The cases where evq differs on
// purpose carry the reason, and the test checks that they really do differ.
#include <http_parser.h>

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "corpus.hpp"
#include "drive.hpp"
#include "evq/http/response.hpp"

namespace evq::http::test {
namespace {

enum class Verdict { valid, invalid, incomplete };

// What either parser says about one request.
struct Summary {
  Verdict verdict = Verdict::invalid;
  std::string method, url;
  int minor = 0;  // of HTTP/1.x
  bool keep_alive = false;
  std::uint64_t body_length = 0;

  bool operator==(const Summary&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Summary& s) {
  static constexpr const char* kVerdicts[] = {"valid", "invalid", "incomplete"};
  return os << kVerdicts[static_cast<int>(s.verdict)] << " " << s.method << " " << s.url << " 1."
            << s.minor << " keep_alive=" << s.keep_alive << " body=" << s.body_length;
}

struct OracleState {
  std::string url;
  std::uint64_t body = 0;
  int messages = 0;
  bool keep_alive = false;
};

Summary oracle(std::string_view text) {
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  OracleState state;
  parser.data = &state;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = [](http_parser* p, const char* at, std::size_t n) {
    static_cast<OracleState*>(p->data)->url.append(at, n);
    return 0;
  };
  settings.on_body = [](http_parser* p, const char*, std::size_t n) {
    static_cast<OracleState*>(p->data)->body += n;
    return 0;
  };
  settings.on_message_complete = [](http_parser* p) {
    auto* s = static_cast<OracleState*>(p->data);
    ++s->messages;
    s->keep_alive = http_should_keep_alive(p) != 0;
    return 0;
  };
  const std::size_t parsed = http_parser_execute(&parser, &settings, text.data(), text.size());
  Summary s;
  if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || parsed != text.size() || state.messages > 1) {
    return s;
  }
  if (state.messages == 0) {
    s.verdict = Verdict::incomplete;
    return s;
  }
  s.verdict = Verdict::valid;
  s.method = http_method_str(static_cast<http_method>(parser.method));
  s.url = state.url;
  s.minor = parser.http_major == 1 ? parser.http_minor : -1;
  s.keep_alive = state.keep_alive;
  s.body_length = state.body;
  return s;
}

Summary evq_summary(const Outcome& o) {
  Summary s;
  if (o.last == ParseState::error || o.requests.size() > 1) return s;
  if (o.requests.empty()) {
    s.verdict = Verdict::incomplete;
    return s;
  }
  const Parsed& p = o.requests[0];
  s.verdict = o.leftover == 0 ? Verdict::valid : Verdict::invalid;
  s.method = p.method;
  s.url = p.target;
  s.minor = p.version == Version::http_1_1 ? 1 : 0;
  s.keep_alive = p.keep_alive;
  s.body_length = p.body_length;
  return s;
}

TEST(HttpDifferential, CorpusIsLargeEnough) {
  EXPECT_GE(std::size(kCorpus), 40u);
}

TEST(HttpDifferential, EvqAnswersWhatTheCorpusSays) {
  for (const Case& c : kCorpus) {
    const Outcome o = parse(c.text);
    if (c.evq_status == 0) {
      EXPECT_TRUE(o.ok() && o.requests.size() == 1) << c.name << ": " << o.detail;
    } else if (c.evq_status == kIncomplete) {
      EXPECT_TRUE(o.last == ParseState::incomplete && o.requests.empty()) << c.name;
    } else {
      EXPECT_EQ(o.status, c.evq_status) << c.name << ": " << o.detail;
    }
  }
}

TEST(HttpDifferential, AgreesWithLibHttpParserExceptWhereDocumented) {
  int compared = 0;
  for (const Case& c : kCorpus) {
    const Summary ours = evq_summary(parse(c.text));
    const Summary theirs = oracle(c.text);
    if (c.differs == nullptr) {
      EXPECT_EQ(ours, theirs) << c.name;
      ++compared;
    } else {
      EXPECT_NE(ours, theirs) << c.name << " is listed as differing (" << c.differs
                              << ") but both parsers agree: drop the exception";
    }
  }
  EXPECT_GE(compared, 40);
}

// The writer's output is a response libhttp-parser reads back with the same status, length and
// keep-alive.
TEST(HttpDifferential, LibHttpParserReadsOurResponses) {
  for (const bool keep_alive : {true, false}) {
    for (const int status : {200, 400, 404, 405, 413, 414, 431, 500, 501, 503, 505}) {
      std::string out;
      append_error(out, {.status = status, .keep_alive = keep_alive, .allow = "GET"}, "why", false);
      http_parser parser;
      http_parser_init(&parser, HTTP_RESPONSE);
      std::uint64_t body = 0;
      parser.data = &body;
      http_parser_settings settings;
      http_parser_settings_init(&settings);
      settings.on_body = [](http_parser* p, const char*, std::size_t n) {
        *static_cast<std::uint64_t*>(p->data) += n;
        return 0;
      };
      EXPECT_EQ(http_parser_execute(&parser, &settings, out.data(), out.size()), out.size());
      EXPECT_EQ(HTTP_PARSER_ERRNO(&parser), HPE_OK) << out;
      EXPECT_EQ(parser.status_code, status);
      EXPECT_EQ(body, out.size() - out.find("\r\n\r\n") - 4);
      EXPECT_EQ(http_should_keep_alive(&parser) != 0, keep_alive);
    }
  }
}

}  // namespace
}  // namespace evq::http::test
