// evq::http::Parser: an incremental HTTP/1.1 request parser (RFC 9112) for servers. Pure: no I/O.
//
// # How a server drives it
// Read into a buffer and keep the bytes not yet consumed. After every read:
//
//   for (;;) {
//     FeedResult r = parser.feed(buffered);  // every byte received and not yet consumed
//     if (r.state == ParseState::complete) handle(parser.request());  // before dropping bytes
//     buffered.erase(0, r.consumed);  // in every state: the parser is done with these bytes
//     if (r.state != ParseState::complete) break;  // incomplete: read more; error: answer
//   }                                               // r.status, then close the connection
//
// feed() resumes where it stopped scanning, so bytes may arrive one at a time (or many pipelined
// requests at once) at O(1) cost per byte. The next call must see the same unconsumed bytes,
// possibly followed by new ones; if it is given fewer, the parser starts over (as after reset()).
//
// # Memory
// The parser allocates nothing per byte and nothing for requests without a body. A request head
// stays in the caller's buffer until the request is complete, so a server never needs to keep
// more than max_request_line + max_header_bytes (+ line endings) plus one read: past that, feed()
// answers 414 or 431. A request with a body first copies its head into the parser, then consumes
// body bytes as they arrive, copying them into the parser (at most max_body, and only if
// keep_body); the caller keeps at most one chunk-size or trailer line meanwhile. That storage is
// reused from one request to the next, so a warmed-up parser allocates nothing. feed() throws
// only std::bad_alloc, when that storage grows.
//
// # The rules (which status an error carries)
// - Malformed syntax anywhere: 400. A request line longer than max_request_line (8 KiB, line
//   ending excluded): 414. Header field lines (line endings included) totalling more than
//   max_header_bytes (16 KiB) or more than max_header_lines (100): 431. The same limits apply
//   separately to the trailer section of a chunked body.
// - Version "HTTP/d.d" other than 1.0 and 1.1: 505; anything else in its place ("HTTP/x",
//   "HTTP/1.10", "http/1.1"): 400.
// - HTTP/1.1 without Host; more than one Host, or a Host with characters no host:port has: 400.
// - Content-Length: one field with one decimal value, else 400 (a repeated field is rejected even
//   when the values agree). Above max_body (1 MiB): 413.
// - Transfer-Encoding: "chunked" (case-insensitive, once, last) is decoded; another coding: 501;
//   chunked not last or twice, or Transfer-Encoding in HTTP/1.0: 400 (RFC 9112 6.1, 6.3); with
//   Content-Length: 400. Chunk extensions are skipped; trailers are checked and dropped.
// - obs-fold (a field line starting with SP or HTAB), whitespace before the colon, a bare CR,
//   control characters in a field value: 400.
// - Line endings: CRLF. In the head (request line, header fields, the empty line that ends them)
//   a bare LF is accepted too (RFC 9112 2.2); in a chunked body (chunk-size lines, the end of
//   chunk data, trailers) it is 400, because lenient chunk framing is what request smuggling
//   through chunked bodies exploits. A bare CR is 400 everywhere. Empty lines (CRLF or LF)
//   before a request line are skipped and consumed.
// - Methods are any token; the server decides 405. The target is any run of visible bytes
//   (obs-text 0x80-0xFF included); it is not percent-decoded.
// - Keep-alive: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive"
//   (and no "close"). Connection is a case-insensitive token list; fields may repeat.
// A server closes the connection after answering any error: the bytes after it are not in step.
//
// Thread-safety: none; one Parser per connection. Lifetime: see request().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evq::http {

// The most header (and trailer) field lines a request may have; Limits cannot raise it.
inline constexpr std::size_t kMaxHeaderLines = 100;

// The defaults are the limits DESIGN.md gives every evq server. Sizes above 1 GiB are clamped.
struct Limits {
  std::uint32_t max_request_line = 8192;             // 414 beyond
  std::uint32_t max_header_bytes = 16384;            // 431 beyond
  std::uint32_t max_header_lines = kMaxHeaderLines;  // 431 beyond; clamped to kMaxHeaderLines
  std::uint64_t max_body = 1 << 20;                  // 413 beyond (decoded length)
  std::uint32_t max_chunk_line = 4096;  // a chunk-size line (with extensions); 400 beyond
  bool keep_body = true;                // false: body bytes are counted and dropped
};

enum class ParseState : std::uint8_t {
  incomplete,  // need more bytes
  complete,    // request() is ready
  error,       // answer `status` and close; feed() repeats this until reset()
};

struct FeedResult {
  ParseState state;
  // Bytes at the front of the buffer the parser is done with: drop them (after handling a
  // complete request). On complete, the rest of the request's bytes, so the next request starts
  // right after them (earlier calls may have consumed part of a body already).
  std::size_t consumed;
  // On error: 400, 413, 414, 431, 501 or 505. Otherwise 0.
  int status;
};

enum class Version : std::uint8_t { http_1_0, http_1_1 };

struct Field {
  std::string_view name;   // as received (compare case-insensitively)
  std::string_view value;  // without surrounding whitespace
};

// A parsed request: views into the caller's buffer (requests without a body) or into the
// Parser. Valid until the next feed() or reset() and, for the caller's buffer, while the request's
// bytes are still there unchanged.
class Request {
 public:
  [[nodiscard]] std::string_view method() const noexcept { return view(method_); }
  [[nodiscard]] bool is_head() const noexcept { return method() == "HEAD"; }
  // The request-target as received: "/a%20b?q", "http://host/a", "*", "host:443".
  [[nodiscard]] std::string_view target() const noexcept { return view(target_); }
  // The target's path, still percent-encoded: origin-form up to '?'; absolute-form without
  // scheme and authority ("/" if empty); other forms ("*", authority-form) as received.
  [[nodiscard]] std::string_view path() const noexcept;
  // After the first '?' of the target, if any (empty otherwise).
  [[nodiscard]] std::string_view query() const noexcept;
  [[nodiscard]] Version version() const noexcept { return version_; }
  [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
  // The Host field; absent only in HTTP/1.0 requests without one. (For an absolute-form target,
  // RFC 9112 3.2.2 makes the target's authority win over Host: compare them if it matters.)
  [[nodiscard]] std::optional<std::string_view> host() const noexcept;

  // Every header field in the order received (trailers are not kept). i < field_count().
  // The fields are not stored: field() and find() read them again from the head (already
  // validated), so a parser holds no per-field memory. field(i) costs O(i) lines.
  [[nodiscard]] std::size_t field_count() const noexcept { return field_count_; }
  [[nodiscard]] Field field(std::size_t i) const noexcept;
  // The value of the first field called `name` (ASCII case-insensitive).
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;

  [[nodiscard]] bool chunked() const noexcept { return chunked_; }
  // Decoded body length (Content-Length, or the sum of the chunks), kept or not.
  [[nodiscard]] std::uint64_t body_length() const noexcept { return body_length_; }
  // The decoded body; empty when Limits::keep_body is false.
  [[nodiscard]] std::string_view body() const noexcept { return body_; }

 private:
  friend class Parser;
  struct Span {
    std::uint32_t off = 0;
    std::uint32_t len = 0;
  };
  [[nodiscard]] std::string_view view(Span s) const noexcept { return {base_ + s.off, s.len}; }
  // The field line starting at `pos` of fields_, and where the next one starts.
  [[nodiscard]] Field field_at(std::size_t& pos) const noexcept;

  const char* base_ = nullptr;
  Span method_, target_, host_;
  Span fields_;  // the field lines, line endings included
  std::uint32_t field_count_ = 0;
  Version version_ = Version::http_1_1;
  bool has_host_ = false;
  bool keep_alive_ = false;
  bool chunked_ = false;
  std::uint64_t body_length_ = 0;
  std::string_view body_;
};

// Parser: see the file comment for how to drive it.
class Parser {
 public:
  explicit Parser(Limits limits = {}) noexcept;

  // `buffered`: every byte received and not yet consumed (see the file comment).
  [[nodiscard]] FeedResult feed(std::string_view buffered);
  // Forgets the request in progress and any error, keeping its storage for reuse.
  void reset() noexcept;

  // After feed() returned complete: the request (see Request for how long it stays valid).
  // While reading_body(), everything but the body is already there: a server may look at
  // `Expect: 100-continue` and answer "HTTP/1.1 100 Continue" before the body arrives.
  [[nodiscard]] const Request& request() const noexcept { return request_; }
  [[nodiscard]] bool reading_body() const noexcept {
    return phase_ >= Phase::body && phase_ <= Phase::trailers;
  }
  // After an error: what was wrong, for a log line or the response body ("missing Host").
  [[nodiscard]] std::string_view error_detail() const noexcept { return detail_; }
  [[nodiscard]] const Limits& limits() const noexcept { return limits_; }

 private:
  enum class Phase : std::uint8_t {  // in this order: reading_body() compares them
    request_line,
    headers,
    body,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    done,
    failed,
  };
  using Span = Request::Span;

  bool plain_head(std::string_view in);
  bool step(std::string_view in);
  bool on_line(std::string_view in, std::size_t lf);
  bool on_partial_line(std::string_view in);
  bool on_request_line(std::string_view line);
  bool on_field_line(std::string_view in, std::string_view line, std::size_t size, bool ending_ok);
  bool on_field(std::string_view name, std::string_view value, Span value_span);
  bool on_head_end(std::string_view in, std::size_t head_end);
  bool on_chunk_size_line(std::string_view line, bool ending_ok);
  bool on_body_bytes(std::string_view in);
  bool on_chunk_data_end(std::string_view in);
  bool fail(int status, const char* detail) noexcept;
  void start_request() noexcept;
  FeedResult finish(std::string_view in);

  Limits limits_;
  Request request_;
  Phase phase_ = Phase::request_line;
  int status_ = 0;
  std::string_view detail_;

  // Offsets into the current `buffered`, rebased after every feed() by what it consumed.
  std::size_t head_start_ = 0;  // where the request line starts (after skipped empty lines)
  std::size_t line_ = 0;        // start of the line (or body bytes) being parsed
  std::size_t scan_ = 0;        // no '\n' in [line_, scan_)
  std::size_t seen_ = 0;        // bytes of `buffered` already looked at

  std::size_t section_bytes_ = 0;  // header (or trailer) field-line bytes so far
  std::size_t section_lines_ = 0;
  std::uint64_t remaining_ = 0;  // of the Content-Length body or the current chunk
  std::optional<std::uint64_t> content_length_;
  bool has_transfer_encoding_ = false;
  bool te_unsupported_ = false;  // a coding other than chunked
  bool te_chunked_not_last_ = false;
  int te_chunked_count_ = 0;
  bool conn_close_ = false;
  bool conn_keep_alive_ = false;

  std::string head_copy_;  // the head of a request with a body
  std::string body_;
};

// Decodes %XX escapes (hex digits in either case) and appends the result to `out`. '+' stays
// '+' (that is form encoding, not URI syntax). An invalid escape ("%", "%4", "%zz") makes it
// return false and leave `out` as it was: a server answers 400. The result may hold any byte,
// NUL and '/' included: check it before using it as a file name.
[[nodiscard]] bool percent_decode(std::string_view in, std::string& out);
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view in);

// The segments of a path between its '/'s, still percent-encoded (so an encoded "%2F" stays
// inside its segment; decode each segment afterwards). A leading '/' is skipped, empty segments
// are kept: "/" -> [""], "/a/b" -> ["a", "b"], "/a//b/" -> ["a", "", "b", ""], "" -> [].
// A view: the path must outlive it.
class PathSegments {
 public:
  explicit PathSegments(std::string_view path) noexcept
      : rest_(!path.empty() && path.front() == '/' ? path.substr(1) : path), empty_(path.empty()) {}

  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    [[nodiscard]] std::string_view operator*() const noexcept { return rest_.substr(0, end_); }
    // The segment and everything after it: "b/c" while at "b" of "/a/b/c".
    [[nodiscard]] std::string_view remainder() const noexcept { return rest_; }
    iterator& operator++() noexcept {
      if (end_ == rest_.size()) {
        done_ = true;
      } else {
        rest_.remove_prefix(end_ + 1);
        end_ = rest_.find('/');
        if (end_ == std::string_view::npos) end_ = rest_.size();
      }
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.done_ == b.done_ && (a.done_ || a.rest_.data() == b.rest_.data());
    }

   private:
    friend class PathSegments;
    iterator(std::string_view rest, bool done) noexcept : rest_(rest), done_(done) {
      end_ = rest_.find('/');
      if (end_ == std::string_view::npos) end_ = rest_.size();
    }
    std::string_view rest_;
    std::size_t end_ = 0;
    bool done_ = true;
  };

  [[nodiscard]] iterator begin() const noexcept { return {rest_, empty_}; }
  [[nodiscard]] iterator end() const noexcept { return {}; }

 private:
  std::string_view rest_;
  bool empty_;
};

}  // namespace evq::http
