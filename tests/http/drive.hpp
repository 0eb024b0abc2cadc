// Test helpers: drive a Parser the way a server does, and check that how the input is split into
// reads never changes the outcome.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evq/http/request_parser.hpp"

namespace evq::http::test {

// A copy of what Parser::request() said about one request.
struct Parsed {
  std::string method;
  std::string target;
  Version version = Version::http_1_1;
  bool keep_alive = false;
  std::optional<std::string> host;
  std::vector<std::pair<std::string, std::string>> fields;
  bool chunked = false;
  std::uint64_t body_length = 0;
  std::string body;
  std::size_t end = 0;  // offset in the input just past this request

  bool operator==(const Parsed&) const = default;
};

struct Outcome {
  std::vector<Parsed> requests;
  ParseState last = ParseState::incomplete;  // incomplete or error, after the last request
  int status = 0;
  std::string detail;
  std::size_t leftover = 0;  // bytes the parser had not consumed at the end (0 after an error)

  bool operator==(const Outcome&) const = default;
  [[nodiscard]] bool ok() const { return last == ParseState::incomplete && leftover == 0; }
};

void PrintTo(const Parsed& p, std::ostream* os);
void PrintTo(const Outcome& o, std::ostream* os);

// Feeds `input` in reads of the given sizes (cycled) as a server would: every unconsumed byte,
// dropping what each feed() consumed. Checks the parser's promises on the way (consumed in range,
// error status in the allowed set, errors repeat until reset).
Outcome drive(std::string_view input, std::span<const std::size_t> reads, Limits limits = {});

// The outcome of feeding everything at once; also EXPECTs that feeding it one byte at a time and
// in several other splits gives the same outcome.
Outcome parse(std::string_view input, Limits limits = {});

// parse() for one request that must be complete and valid, consuming everything.
Parsed parse_one(std::string_view input, Limits limits = {});

// The error status parse() ends with (0 if none).
int status_of(std::string_view input, Limits limits = {});

}  // namespace evq::http::test
