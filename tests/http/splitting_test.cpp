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
