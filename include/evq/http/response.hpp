// evq::http responses: writes an HTTP/1.1 response head (and small bodies) into a caller's
// buffer. Pure: no I/O.
//
// Every head written here has a status line with the reason phrase, a Content-Length (except
// for 1xx and 204, which must not have one: RFC 9110 8.6), an explicit "Connection: close" or
// "Connection: keep-alive" (so HTTP/1.0 clients keep the connection only when asked), an Allow
// when one is given (405 needs it), and the caller's extra fields, in that order.
//
// HEAD: a response to HEAD carries the fields a GET would (Content-Length of the body it would
// send) and no body; append_response and append_error do this when told the request was HEAD.
//
// Allocation: append_* append to a std::string the caller reuses (no allocation once its
// capacity has grown); write_head writes into a fixed buffer and never allocates.
// Safety: CR, LF and NUL in caller-given names and values are written as spaces, so no field
// can end early or add fields of its own (response splitting).
// Thread-safety: plain functions of their arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace evq::http {

// "OK", "Bad Request", ... for the statuses evq answers (200, 400, 404, 405, 413, 414, 431, 500,
// 501, 503, 505, and the other common ones of RFC 9110); "" for others (the status line then
// ends "HTTP/1.1 299 ", which RFC 9112 4 allows).
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

struct ResponseField {
  std::string_view name;
  std::string_view value;
};

struct ResponseHead {
  int status = 200;  // three digits; anything outside 100-999 is written as 500
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  std::string_view content_type{};  // omitted when empty
  std::string_view allow{};         // "GET, HEAD": omitted when empty; a 405 must have it
  std::span<const ResponseField> extra{};
};

// Appends the head, ending with the empty line.
void append_head(std::string& out, const ResponseHead& head);

// The exact number of bytes append_head and write_head produce for `head`.
[[nodiscard]] std::size_t head_size(const ResponseHead& head) noexcept;

// Writes the head into `out` if it fits and returns its size; returns head_size(head) and writes
// nothing when it does not fit (like snprintf).
[[nodiscard]] std::size_t write_head(std::span<char> out, const ResponseHead& head) noexcept;

// Appends a head with content_length = body.size(), then the body unless `head_request`.
void append_response(std::string& out, ResponseHead head, std::string_view body, bool head_request);

// Appends a complete error response with a plain-text body: "404 Not Found\n", or
// "400 Bad Request: missing Host header\n" given a detail (e.g. Parser::error_detail()).
// head.content_type and head.content_length are set here.
void append_error(std::string& out, ResponseHead head, std::string_view detail, bool head_request);

}  // namespace evq::http
