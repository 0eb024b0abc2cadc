// The head is produced once by one routine over a sink, so head_size, write_head and append_head
// cannot disagree about a single byte.
#include "evq/http/response.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace evq::http {
namespace {

// Counts bytes, and copies them to `dst` while they fit in `cap` (one pass: the caller checks
// size <= cap afterwards; only a head larger than its buffer needs a second pass).
struct Sink {
  char* dst = nullptr;
  std::size_t cap = 0;
  std::size_t size = 0;

  void raw(std::string_view s) noexcept {
    if (size + s.size() <= cap && !s.empty()) std::memcpy(dst + size, s.data(), s.size());
    size += s.size();
  }
  // Caller-given text: CR, LF and NUL become spaces.
  void text(std::string_view s) noexcept {
    if (size + s.size() <= cap) {
      char* p = dst + size;
      for (char c : s)
        *p++ = (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
    }
    size += s.size();
  }
  void number(std::uint64_t n) noexcept {
    std::array<char, 20> digits;
    const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), n);
    raw({digits.data(), static_cast<std::size_t>(r.ptr - digits.data())});
  }
  void field(std::string_view name, std::string_view value) noexcept {
    text(name);
    raw(": ");
    text(value);
    raw("\r\n");
  }
};

int valid_status(int status) noexcept {
  return status >= 100 && status <= 999 ? status : 500;
}

void emit(Sink& sink, const ResponseHead& head) noexcept {
  const int status = valid_status(head.status);
  sink.raw("HTTP/1.1 ");
  sink.number(static_cast<std::uint64_t>(status));
  sink.raw(" ");
  sink.raw(reason_phrase(status));
  sink.raw("\r\n");
  if (!head.content_type.empty()) sink.field("Content-Type", head.content_type);
  if (status >= 200 && status != 204) {
    sink.raw("Content-Length: ");
    sink.number(head.content_length);
    sink.raw("\r\n");
  }
  sink.raw(head.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  if (!head.allow.empty()) sink.field("Allow", head.allow);
  for (const ResponseField& f : head.extra)
    sink.field(f.name, f.value);
  sink.raw("\r\n");
}

}  // namespace

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return {};
  }
}

std::size_t head_size(const ResponseHead& head) noexcept {
  Sink counter;
  emit(counter, head);
  return counter.size;
}

std::size_t write_head(std::span<char> out, const ResponseHead& head) noexcept {
  const std::size_t size = head_size(head);
  if (size > out.size()) return size;  // writes nothing
  Sink writer{out.data(), size, 0};
  emit(writer, head);
  return size;
}

void append_head(std::string& out, const ResponseHead& head) {
  std::array<char, 512> buf;  // any usual head: one pass
  Sink first{buf.data(), buf.size(), 0};
  emit(first, head);
  const std::size_t size = first.size;
  if (size <= buf.size()) {
    out.append(buf.data(), size);  // no allocation once the string's capacity has grown
    return;
  }
  const std::size_t old = out.size();
  out.resize(old + size);
  Sink writer{out.data() + old, size, 0};
  emit(writer, head);
}

void append_response(std::string& out, ResponseHead head, std::string_view body,
                     bool head_request) {
  head.content_length = body.size();
  append_head(out, head);
  if (!head_request) out.append(body);
}

void append_error(std::string& out, ResponseHead head, std::string_view detail, bool head_request) {
  const int status = valid_status(head.status);
  std::array<char, 3> code;
  std::to_chars(code.data(), code.data() + code.size(), status);
  const std::string_view reason = reason_phrase(status);
  const std::string_view sep = detail.empty() ? "" : ": ";
  head.content_type = "text/plain; charset=utf-8";
  head.content_length = code.size() + 1 + reason.size() + sep.size() + detail.size() + 1;
  append_head(out, head);
  if (head_request) return;
  out.append(code.data(), code.size()).append(" ").append(reason).append(sep).append(detail);
  out.push_back('\n');
}

}  // namespace evq::http
