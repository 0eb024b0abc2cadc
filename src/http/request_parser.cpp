// The request parser is a line machine over the caller's buffer. Head and chunk-framing lines are
// found with memchr from `scan_`, where the previous search stopped, and each complete line is
// judged once, so a byte costs O(1) however the input is split. Lines are judged only when
// complete (length before content), and the limits are checked on partial lines with bounds
// that a complete line would also exceed: so splitting the input never changes the outcome,
// status and detail included (the fuzz target checks this).
#include "evq/http/request_parser.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace evq::http {
namespace {

// Character classes, one bit each, in a table built at compile time.
enum : std::uint8_t { kTchar = 1, kTarget = 2, kValue = 4, kHost = 8 };

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const auto one_of = [c](std::string_view set) {
      return c < 0x80 && set.find(static_cast<char>(c)) != std::string_view::npos;
    };
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || one_of("!#$%&'*+-.^_`|~")) t[c] |= kTchar;     // RFC 9110 5.6.2
    if (c > 0x20 && c != 0x7f) t[c] |= kTarget;                 // visible bytes, obs-text included
    if ((c >= 0x20 && c != 0x7f) || c == '\t') t[c] |= kValue;  // field-vchar, SP, HTAB (5.5)
    if (alnum || one_of("-._~!$&'()*+,;=:[]%")) t[c] |= kHost;  // host [":" port] (RFC 3986)
  }
  return t;
}();

constexpr bool is(char c, std::uint8_t cls) noexcept {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}

// Whether an 8-byte word may hold a byte outside `cls`; false means all eight are inside. Only
// kTarget (> 0x20, not 0x7f) and kValue (>= 0x20, not 0x7f; HTAB too, found byte by byte) have a
// word test: a word has a byte below n (n <= 0x80) iff (w - n * 0x01..) & ~w & 0x80.. != 0.
template <std::uint8_t cls>
constexpr bool may_leave(std::uint64_t w) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  const auto has_below = [](std::uint64_t x, std::uint64_t n) {
    return ((x - kOnes * n) & ~x & kHighs) != 0;
  };
  return has_below(w, cls == kTarget ? 0x21 : 0x20) || has_below(w ^ (kOnes * 0x7f), 1);
}

// Where the run of `cls` characters that starts at `from` ends.
template <std::uint8_t cls>
std::size_t run_end(std::string_view s, std::size_t from) noexcept {
  if constexpr (cls == kTarget || cls == kValue) {  // long runs: eight bytes per step
    for (std::uint64_t w; from + 8 <= s.size(); from += 8) {
      std::memcpy(&w, s.data() + from, 8);
      if (may_leave<cls>(w)) break;
    }
  }
  while (from < s.size() && is(s[from], cls))
    ++from;
  return from;
}

template <std::uint8_t cls>
bool all_are(std::string_view s) noexcept {
  return run_end<cls>(s, 0) == s.size();
}

constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

// Calls f(element) for each non-empty element of a comma-separated list (RFC 9110 5.6.1).
template <class F>
void for_each_element(std::string_view list, F f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto element = trim_ows(list.substr(0, comma));
    if (!element.empty()) f(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

constexpr const char* kBareLfInChunked = "bare LF in a chunked body: its lines must end with CRLF";

constexpr std::uint32_t kMaxOffset = std::uint32_t{1} << 30;  // keeps Request::Span in 32 bits

Limits clamp(Limits l) noexcept {
  l.max_request_line = std::min(l.max_request_line, kMaxOffset);
  l.max_header_bytes = std::min(l.max_header_bytes, kMaxOffset);
  l.max_header_lines = std::min<std::uint32_t>(l.max_header_lines, kMaxHeaderLines);
  l.max_chunk_line = std::min(l.max_chunk_line, kMaxOffset);
  return l;
}

}  // namespace

Parser::Parser(Limits limits) noexcept : limits_(clamp(limits)) {}

void Parser::start_request() noexcept {
  phase_ = Phase::request_line;
  head_start_ = line_ = scan_ = 0;
  section_bytes_ = section_lines_ = 0;
  remaining_ = 0;
  content_length_.reset();
  has_transfer_encoding_ = te_unsupported_ = te_chunked_not_last_ = false;
  te_chunked_count_ = 0;
  conn_close_ = conn_keep_alive_ = false;
  body_.clear();
  request_.field_count_ = 0;
  request_.fields_ = {};
  request_.has_host_ = request_.keep_alive_ = request_.chunked_ = false;
  request_.body_length_ = 0;
  request_.body_ = {};
}

void Parser::reset() noexcept {
  start_request();
  seen_ = 0;
  status_ = 0;
  detail_ = {};
}

bool Parser::fail(int status, const char* detail) noexcept {
  phase_ = Phase::failed;
  status_ = status;
  detail_ = detail;
  return false;
}

FeedResult Parser::feed(std::string_view in) {
  if (phase_ == Phase::failed) return {ParseState::error, 0, status_};
  if (phase_ == Phase::done) start_request();
  // Fewer bytes than last time breaks the contract; starting over keeps every offset in range.
  if (in.size() < seen_) reset();
  if (phase_ != Phase::request_line || scan_ != 0 || !plain_head(in)) {
    while (step(in)) {
    }
  }
  return finish(in);
}

FeedResult Parser::finish(std::string_view in) {
  std::size_t consumed = 0;
  FeedResult result{ParseState::incomplete, 0, 0};
  switch (phase_) {
    case Phase::failed:
      seen_ = 0;
      return {ParseState::error, 0, status_};
    case Phase::done:
      consumed = line_;
      request_.body_ = body_;
      result.state = ParseState::complete;
      break;
    case Phase::request_line:
    case Phase::headers:
      consumed = head_start_;  // empty lines before the request line
      break;
    default:
      consumed = line_;  // the head is copied; body and framing bytes are dealt with
      break;
  }
  head_start_ -= std::min(head_start_, consumed);
  line_ -= consumed;
  scan_ -= consumed;
  seen_ = in.size() - consumed;
  result.consumed = consumed;
  return result;
}

bool Parser::step(std::string_view in) {
  switch (phase_) {
    case Phase::body:
    case Phase::chunk_data:
      return on_body_bytes(in);
    case Phase::chunk_data_end:
      return on_chunk_data_end(in);
    case Phase::done:
    case Phase::failed:
      return false;
    default:
      break;
  }
  const void* lf = nullptr;
  if (scan_ < in.size()) lf = std::memchr(in.data() + scan_, '\n', in.size() - scan_);
  if (lf == nullptr) {
    scan_ = in.size();
    return on_partial_line(in);
  }
  return on_line(in, static_cast<std::size_t>(static_cast<const char*>(lf) - in.data()));
}

// The fast path: the whole head of a request without a body, read in one pass when everything
// about it is plain (CRLF line endings, no empty lines before it, no Content-Length or
// Transfer-Encoding, within the limits). It judges by the line machine's rules, in its order, so
// it decides (returns true: done or failed) exactly as the machine would. Anything else, an
// incomplete head included, leaves the parser as it found it (returns false) for the machine.
bool Parser::plain_head(std::string_view in) {
  const auto not_plain = [this] {
    start_request();
    return false;
  };
  const auto crlf_at = [in](std::size_t i) {
    return i + 1 < in.size() && in[i] == '\r' && in[i + 1] == '\n';
  };
  // The request line: METHOD SP TARGET SP HTTP/1.x CRLF.
  const std::size_t method_end = run_end<kTchar>(in, 0);
  if (method_end == 0 || method_end == in.size() || in[method_end] != ' ') return not_plain();
  const std::size_t target_end = run_end<kTarget>(in, method_end + 1);
  if (target_end == method_end + 1 || target_end == in.size() || in[target_end] != ' ') {
    return not_plain();
  }
  const std::string_view version = in.substr(target_end + 1, 8);
  const std::size_t line_end = target_end + 1 + version.size();
  if ((version != "HTTP/1.1" && version != "HTTP/1.0") || !crlf_at(line_end) ||
      line_end > limits_.max_request_line) {
    return not_plain();
  }
  request_.version_ = version.back() == '1' ? Version::http_1_1 : Version::http_1_0;
  request_.method_ = {0, static_cast<std::uint32_t>(method_end)};
  request_.target_ = {static_cast<std::uint32_t>(method_end + 1),
                      static_cast<std::uint32_t>(target_end - method_end - 1)};

  // Field lines: NAME ":" OWS VALUE OWS CRLF, until an empty line.
  std::size_t pos = line_end + 2;
  while (!crlf_at(pos)) {
    const std::size_t name_end = run_end<kTchar>(in, pos);
    if (name_end == pos || name_end == in.size() || in[name_end] != ':') return not_plain();
    std::size_t value_start = name_end + 1;
    while (value_start < in.size() && is_ows(in[value_start]))
      ++value_start;
    const std::size_t value_end = run_end<kValue>(in, value_start);  // stops at the CR
    if (!crlf_at(value_end)) return not_plain();
    const std::size_t size = value_end + 2 - pos;
    if (section_lines_ >= limits_.max_header_lines ||
        section_bytes_ + size > limits_.max_header_bytes) {
      return not_plain();
    }
    ++section_lines_;
    section_bytes_ += size;
    if (request_.field_count_++ == 0) request_.fields_.off = static_cast<std::uint32_t>(pos);
    request_.fields_.len = static_cast<std::uint32_t>(value_end + 2) - request_.fields_.off;
    const std::string_view name = in.substr(pos, name_end - pos);
    pos = value_end + 2;
    if (name.size() == 14 || name.size() == 17) {  // a body: the machine reads it
      if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) {
        return not_plain();
      }
    } else if (name.size() == 4 || name.size() == 10) {  // host, connection
      const std::string_view value = trim_ows(in.substr(value_start, value_end - value_start));
      const Span span{static_cast<std::uint32_t>(value_start),
                      static_cast<std::uint32_t>(value.size())};
      if (!on_field(name, value, span)) return true;  // failed, as the machine would
    }
  }
  on_head_end(in, pos + 2);
  return true;
}

// No '\n' yet: fail now if the line will break a limit however it ends.
bool Parser::on_partial_line(std::string_view in) {
  const std::size_t partial = in.size() - line_;
  switch (phase_) {
    case Phase::request_line:
      // Its content is at least partial - 1 bytes long (a CR may end it).
      if (partial > limits_.max_request_line + 1) return fail(414, "request line too long");
      break;
    case Phase::headers:
    case Phase::trailers:
      // Two bytes without '\n' make it a field line (an empty line is "" or "\r"), at least
      // partial + 1 bytes long.
      if (partial < 2) break;
      if (section_lines_ >= limits_.max_header_lines) return fail(431, "too many header fields");
      if (section_bytes_ + partial + 1 > limits_.max_header_bytes) {
        return fail(431, "header fields too large");
      }
      break;
    case Phase::chunk_size:
      if (partial > limits_.max_chunk_line + 1) return fail(400, "chunk size line too long");
      break;
    default:
      break;
  }
  return false;
}

bool Parser::on_line(std::string_view in, std::size_t lf) {
  const std::size_t next = lf + 1;
  std::string_view line = in.substr(line_, lf - line_);
  const bool crlf = !line.empty() && line.back() == '\r';
  if (crlf) line.remove_suffix(1);
  // RFC 9112 2.2 lets a recipient accept a bare LF after the request line and header fields.
  // Chunked framing must use CRLF: leniency there is what chunked-body smuggling exploits.
  const bool ending_ok = crlf || phase_ == Phase::request_line || phase_ == Phase::headers;
  switch (phase_) {
    case Phase::request_line:
      if (line.empty()) {
        head_start_ = next;  // RFC 9112 2.2: ignore empty lines before a request line
      } else {
        if (!on_request_line(line)) return false;
        phase_ = Phase::headers;
      }
      break;
    case Phase::headers:
      if (line.empty()) return on_head_end(in, next);
      [[fallthrough]];
    case Phase::trailers:
      if (line.empty()) {
        if (!ending_ok) return fail(400, kBareLfInChunked);
        phase_ = Phase::done;
      } else if (!on_field_line(in, line, next - line_, ending_ok)) {
        return false;
      }
      break;
    case Phase::chunk_size:
      if (!on_chunk_size_line(line, ending_ok)) return false;
      break;
    default:
      break;
  }
  line_ = scan_ = next;
  return true;
}

bool Parser::on_request_line(std::string_view line) {
  if (line.size() > limits_.max_request_line) return fail(414, "request line too long");
  constexpr const char* kMalformed =
      "malformed request line: expected METHOD SP TARGET SP HTTP/1.1";
  const std::size_t method_end = run_end<kTchar>(line, 0);
  if (method_end == 0 || method_end == line.size() || line[method_end] != ' ') {
    return fail(400, kMalformed);
  }
  const std::size_t target_start = method_end + 1;
  const std::size_t target_end = run_end<kTarget>(line, target_start);
  if (target_end == target_start || target_end == line.size() || line[target_end] != ' ') {
    return fail(400, kMalformed);
  }
  const std::string_view v = line.substr(target_end + 1);
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
      v[7] < '0' || v[7] > '9') {
    return fail(400, "malformed HTTP version: expected HTTP/1.1 or HTTP/1.0");
  }
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
    return fail(505, "HTTP version not supported: use HTTP/1.1 or HTTP/1.0");
  }
  request_.version_ = v[7] == '1' ? Version::http_1_1 : Version::http_1_0;
  request_.method_ = {0, static_cast<std::uint32_t>(method_end)};
  request_.target_ = {static_cast<std::uint32_t>(target_start),
                      static_cast<std::uint32_t>(target_end - target_start)};
  return true;
}

// A header (or trailer) field line, without its line ending; `size` counts the ending too.
bool Parser::on_field_line(std::string_view in, std::string_view line, std::size_t size,
                           bool ending_ok) {
  if (section_lines_ >= limits_.max_header_lines) return fail(431, "too many header fields");
  if (section_bytes_ + size > limits_.max_header_bytes) return fail(431, "header fields too large");
  if (!ending_ok) return fail(400, kBareLfInChunked);
  ++section_lines_;
  section_bytes_ += size;
  if (is_ows(line.front())) {
    return fail(400, "header line starts with whitespace (obs-fold is not accepted)");
  }
  const std::size_t name_end = run_end<kTchar>(line, 0);
  if (name_end == 0 || name_end == line.size() || line[name_end] != ':') {
    return fail(400, "malformed header field: expected NAME: VALUE, no space before the colon");
  }
  const std::string_view name = line.substr(0, name_end);
  const std::string_view value = trim_ows(line.substr(name_end + 1));
  if (!all_are<kValue>(value)) {
    return fail(400, "control character in a header value");
  }
  if (phase_ == Phase::trailers) return true;  // checked, not kept

  const char* head = in.data() + head_start_;
  const auto span = [head](std::string_view s) {
    return Request::Span{static_cast<std::uint32_t>(s.data() - head),
                         static_cast<std::uint32_t>(s.size())};
  };
  if (request_.field_count_++ == 0) request_.fields_.off = span(line).off;
  request_.fields_.len = span(line).off + static_cast<std::uint32_t>(size) - request_.fields_.off;
  return on_field(name, value, span(value));
}

// What the parser itself needs from the fields of interest.
bool Parser::on_field(std::string_view name, std::string_view value, Span value_span) {
  // Most fields are none of these: the length alone says so.
  switch (name.size()) {
    case 4:   // host
    case 10:  // connection
    case 14:  // content-length
    case 17:  // transfer-encoding
      break;
    default:
      return true;
  }
  if (iequals(name, "host")) {
    if (request_.has_host_) return fail(400, "more than one Host header");
    if (!all_are<kHost>(value)) return fail(400, "invalid Host");
    request_.has_host_ = true;
    request_.host_ = value_span;
  } else if (iequals(name, "content-length")) {
    if (content_length_) return fail(400, "more than one Content-Length");
    // 1*DIGIT: from_chars takes no sign, space or prefix for an unsigned type, and reports
    // overflow.
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
      return fail(400, "invalid Content-Length");
    }
    content_length_ = n;
  } else if (iequals(name, "transfer-encoding")) {
    has_transfer_encoding_ = true;
    for_each_element(value, [this](std::string_view coding) {
      if (te_chunked_count_ > 0) te_chunked_not_last_ = true;
      if (iequals(coding, "chunked")) {
        ++te_chunked_count_;
      } else {
        te_unsupported_ = true;
      }
    });
  } else if (iequals(name, "connection")) {
    for_each_element(value, [this](std::string_view option) {
      if (iequals(option, "close")) conn_close_ = true;
      if (iequals(option, "keep-alive")) conn_keep_alive_ = true;
    });
  }
  return true;
}

bool Parser::on_head_end(std::string_view in, std::size_t head_end) {
  const bool http11 = request_.version_ == Version::http_1_1;
  if (http11 && !request_.has_host_) return fail(400, "missing Host header (HTTP/1.1 requires it)");
  if (has_transfer_encoding_) {
    if (!http11) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (content_length_) return fail(400, "both Content-Length and Transfer-Encoding");
    if (te_chunked_count_ == 0 && !te_unsupported_) return fail(400, "empty Transfer-Encoding");
    if (te_chunked_not_last_) return fail(400, "chunked must be the last transfer coding, once");
    if (te_unsupported_) return fail(501, "unsupported Transfer-Encoding: only chunked is");
  }
  const std::uint64_t length = content_length_.value_or(0);
  if (length > limits_.max_body) return fail(413, "request body too large");

  request_.keep_alive_ = http11 ? !conn_close_ : conn_keep_alive_ && !conn_close_;
  request_.chunked_ = has_transfer_encoding_;
  request_.body_length_ = length;
  request_.base_ = in.data() + head_start_;
  line_ = scan_ = head_end;
  if (!has_transfer_encoding_ && length == 0) {
    phase_ = Phase::done;
    return false;
  }
  // The body may take many reads: keep the head here so the caller can drop its bytes.
  head_copy_.assign(in.data() + head_start_, head_end - head_start_);
  request_.base_ = head_copy_.data();
  section_bytes_ = section_lines_ = 0;  // the trailer section gets its own budget
  if (has_transfer_encoding_) {
    phase_ = Phase::chunk_size;
  } else {
    phase_ = Phase::body;
    remaining_ = length;  // body_ grows as bytes arrive, not on the client's word
  }
  return true;
}

bool Parser::on_chunk_size_line(std::string_view line, bool ending_ok) {
  if (line.size() > limits_.max_chunk_line) return fail(400, "chunk size line too long");
  if (!ending_ok) return fail(400, kBareLfInChunked);
  std::uint64_t size = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (ec == std::errc::result_out_of_range) return fail(400, "chunk size too large");
  if (ec != std::errc() || line.front() == '-') return fail(400, "malformed chunk size");
  // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): skipped, but no CTLs.
  const std::string_view ext = trim_ows(line.substr(static_cast<std::size_t>(end - line.data())));
  if (!ext.empty() && (ext.front() != ';' || !all_are<kValue>(ext))) {
    return fail(400, "malformed chunk size");
  }
  if (size == 0) {
    phase_ = Phase::trailers;
    return true;
  }
  if (size > limits_.max_body - std::min(limits_.max_body, request_.body_length_)) {
    return fail(413, "request body too large");
  }
  request_.body_length_ += size;
  remaining_ = size;
  phase_ = Phase::chunk_data;
  return true;
}

bool Parser::on_body_bytes(std::string_view in) {
  const std::size_t available = in.size() - line_;
  if (available == 0) return false;
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, available));
  if (limits_.keep_body) body_.append(in.data() + line_, n);
  line_ += n;
  scan_ = line_;
  remaining_ -= n;
  if (remaining_ == 0) phase_ = phase_ == Phase::body ? Phase::done : Phase::chunk_data_end;
  return true;
}

// The CRLF that ends chunk data.
bool Parser::on_chunk_data_end(std::string_view in) {
  if (line_ >= in.size()) return false;
  if (in[line_] == '\n') return fail(400, kBareLfInChunked);
  if (in[line_] != '\r') return fail(400, "chunk data longer than its size");
  if (line_ + 1 >= in.size()) return false;
  if (in[line_ + 1] != '\n') return fail(400, "chunk data longer than its size");
  line_ = scan_ = line_ + 2;
  phase_ = Phase::chunk_size;
  return true;
}

std::string_view Request::path() const noexcept {
  const std::string_view t = target();
  if (!t.empty() && t.front() == '/') return t.substr(0, t.find('?'));
  // absolute-form: scheme "://" authority path-abempty [ "?" query ]
  const auto scheme_end = t.find("://");
  const char first = static_cast<char>(t.empty() ? 0 : t.front() | 0x20);
  if (scheme_end == std::string_view::npos || first < 'a' || first > 'z') return t;
  const std::string_view rest = t.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?");
  if (path_start == std::string_view::npos || rest[path_start] == '?') return "/";
  const std::string_view path = rest.substr(path_start);
  return path.substr(0, path.find('?'));
}

std::string_view Request::query() const noexcept {
  const std::string_view t = target();
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::optional<std::string_view> Request::host() const noexcept {
  if (!has_host_) return std::nullopt;
  return view(host_);
}

Field Request::field_at(std::size_t& pos) const noexcept {
  const std::string_view all = view(fields_);
  std::size_t end = all.find('\n', pos);
  if (end == std::string_view::npos) end = all.size();
  std::string_view line = all.substr(pos, end - pos);
  pos = end + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t colon = line.find(':');  // validated: there is one, after the name
  return {line.substr(0, colon), trim_ows(line.substr(colon + 1))};
}

Field Request::field(std::size_t i) const noexcept {
  std::size_t pos = 0;
  Field f = field_at(pos);
  while (i-- > 0)
    f = field_at(pos);
  return f;
}

std::optional<std::string_view> Request::find(std::string_view name) const noexcept {
  std::size_t pos = 0;
  for (std::uint32_t i = 0; i < field_count_; ++i) {
    const Field f = field_at(pos);
    if (iequals(f.name, name)) return f.value;
  }
  return std::nullopt;
}

bool percent_decode(std::string_view in, std::string& out) {
  if (in.find('%') == std::string_view::npos) {  // the usual case: nothing to decode
    out.append(in);
    return true;
  }
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') continue;
    if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0) return false;
    i += 2;
  }
  out.reserve(out.size() + in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return true;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  if (!percent_decode(in, out)) return std::nullopt;
  return out;
}

}  // namespace evq::http
