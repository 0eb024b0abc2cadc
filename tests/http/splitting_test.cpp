// However a stream of pipelined requests is cut into reads, the parser sees the same requests.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "drive.hpp"

namespace evq::http::test {
namespace {

// Every valid request of the corpus, back to back.
std::string pipelined_corpus(std::size_t& count) {
  std::string stream;
  count = 0;
  for (const Case& c : kCorpus) {
    if (c.evq_status != 0) continue;
    stream += c.text;
    ++count;
  }
  return stream;
}

TEST(HttpSplitting, EveryCorpusRequestGivesTheSameOutcomeWhateverTheSplit) {
  for (const Case& c : kCorpus) {
    SCOPED_TRACE(c.name);
    (void)parse(c.text);  // parse() compares at once, byte by byte and other splits
  }
}

TEST(HttpSplitting, PipelinedCorpusParsesTheSameAtOnceByteByByteAndInRandomReads) {
  std::size_t count = 0;
  const std::string stream = pipelined_corpus(count);
  const Outcome at_once = parse(stream);
  ASSERT_TRUE(at_once.ok()) << at_once.detail;
  ASSERT_EQ(at_once.requests.size(), count);
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::size_t> reads(17);
    for (auto& r : reads)
      r = std::uniform_int_distribution<std::size_t>(1, 300)(rng);
    EXPECT_EQ(drive(stream, reads), at_once) << "round " << round;
  }
}

// A whole head fed at once takes the parser's one-pass path for plain heads; fed byte by byte it
// takes the line machine. parse() compares the two, so each variant here checks that they agree:
// every byte that could end a run early put at every position, every truncation, and the limits
// met exactly and missed by one.
TEST(HttpSplitting, ThePlainHeadPathAgreesWithTheLineMachine) {
  const std::string plain =
      "GET /a/long/target/with/%20/and/more HTTP/1.1\r\nHost: example.com:8080\r\n"
      "User-Agent: a fairly long value that spans several words\r\nConnection: close\r\n\r\n";
  int variants = 0;
  for (std::size_t i = 0; i <= plain.size(); ++i) {
    (void)parse(plain.substr(0, i));
    ++variants;
  }
  for (const char c : {'\r', '\n', '\t', ' ', ':', '\0', '\x7f', '\x80', '\xff', '"'}) {
    for (std::size_t i = 0; i < plain.size(); ++i) {
      std::string replaced = plain;
      replaced[i] = c;
      SCOPED_TRACE(testing::Message() << "byte " << int(c) << " at " << i);
      (void)parse(replaced);
      std::string inserted = plain;
      inserted.insert(i, 1, c);
      (void)parse(inserted);
      variants += 2;
    }
  }
  const std::size_t line = plain.find("\r\n");
  const std::size_t fields = plain.size() - line - 4;  // field lines, endings included
  for (std::uint32_t d : {0u, 1u}) {
    const std::uint32_t request_line = static_cast<std::uint32_t>(line) - d;
    const std::uint32_t header_bytes = static_cast<std::uint32_t>(fields) - d;
    EXPECT_EQ(status_of(plain, {.max_request_line = request_line}), d == 0 ? 0 : 414);
    EXPECT_EQ(status_of(plain, {.max_header_bytes = header_bytes}), d == 0 ? 0 : 431);
    EXPECT_EQ(status_of(plain, {.max_header_lines = 3 - d}), d == 0 ? 0 : 431);
    variants += 3;
  }
  for (const char* twice : {"Host: b\r\n", "Content-Length: 1\r\n", "Transfer-Encoding: x\r\n"}) {
    std::string more = plain;
    more.insert(line + 2, twice);
    (void)parse(more);
    (void)parse(more.substr(0, more.size() - 2));  // the head not yet ended
    variants += 2;
  }
  EXPECT_GT(variants, 2000);
}

TEST(HttpSplitting, EachRequestOfTheStreamIsTheOneParsedAlone) {
  std::size_t count = 0;
  const Outcome stream = parse(pipelined_corpus(count));
  std::size_t i = 0;
  std::size_t start = 0;
  for (const Case& c : kCorpus) {
    if (c.evq_status != 0) continue;
    ASSERT_LT(i, stream.requests.size());
    Parsed alone = parse_one(c.text);
    alone.end += start;
    EXPECT_EQ(stream.requests[i], alone) << c.name;
    start += c.text.size();
    ++i;
  }
}

}  // namespace
}  // namespace evq::http::test
