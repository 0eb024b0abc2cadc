// The head is produced by one routine, emit(), over two sinks: one counts, one writes. So
// head_size and the writers cannot disagree about a single byte, and the writer needs no bounds
// checks: it is only ever given exactly head_size() bytes.
#include "evq/http/response.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace evq::http {
namespace {

// Whether any byte of `s` is CR, LF or NUL: eight bytes per step (a word has a zero byte iff
// (w - 0x01..) & ~w & 0x80.. is non-zero; XOR first to look for another byte).
bool has_line_break_or_nul(std::string_view s) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  const auto has_zero = [](std::uint64_t w) { return ((w - kOnes) & ~w & kHighs) != 0; };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (has_zero(w) || has_zero(w ^ (kOnes * '\r')) || has_zero(w ^ (kOnes * '\n'))) return true;
  }
  for (; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return true;
  }
  return false;
}

struct Counter {
  std::size_t size = 0;
  void raw(std::string_view s) noexcept { size += s.size(); }
  void text(std::string_view s) noexcept { size += s.size(); }
  void number(std::uint64_t n) noexcept {
    do {
      ++size;
      n /= 10;
    } while (n != 0);
  }
};

// Writes at `p`, which has room for everything: see the file comment.
struct Writer {
  char* p;
  void raw(std::string_view s) noexcept {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  // Caller-given text: CR, LF and NUL become spaces.
  void text(std::string_view s) noexcept {
    char* const start = p;
    raw(s);
    if (!has_line_break_or_nul(s)) return;
    for (char* q = start; q != p; ++q) {
      if (*q == '\r' || *q == '\n' || *q == '\0') *q = ' ';
    }
  }
  void number(std::uint64_t n) noexcept {
    std::array<char, 20> digits;
    const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), n);
    raw({digits.data(), static_cast<std::size_t>(r.ptr - digits.data())});
  }
};

int valid_status(int status) noexcept {
  return status >= 100 && status <= 999 ? status : 500;
}

template <class Sink>
void emit(Sink& sink, const ResponseHead& head) noexcept {
  const int status = valid_status(head.status);
  if (status == 200) {  // by far the most common: one constant
    sink.raw("HTTP/1.1 200 OK\r\n");
  } else {
    const std::array<char, 13> status_start = {'H',
                                               'T',
                                               'T',
                                               'P',
                                               '/',
                                               '1',
                                               '.',
                                               '1',
                                               ' ',
                                               static_cast<char>('0' + status / 100),
                                               static_cast<char>('0' + status / 10 % 10),
                                               static_cast<char>('0' + status % 10),
                                               ' '};
    sink.raw({status_start.data(), status_start.size()});
    sink.raw(reason_phrase(status));
    sink.raw("\r\n");
  }
  if (!head.content_type.empty()) {
    sink.raw("Content-Type: ");
    sink.text(head.content_type);
    sink.raw("\r\n");
  }
  if (status >= 200 && status != 204) {
    sink.raw("Content-Length: ");
    sink.number(head.content_length);
    sink.raw("\r\n");
  }
  sink.raw(head.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  if (!head.allow.empty()) {
    sink.raw("Allow: ");
    sink.text(head.allow);
    sink.raw("\r\n");
  }
  for (const ResponseField& f : head.extra) {
    sink.text(f.name);
    sink.raw(": ");
    sink.text(f.value);
    sink.raw("\r\n");
  }
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
  Counter counter;
  emit(counter, head);
  return counter.size;
}

std::size_t write_head(std::span<char> out, const ResponseHead& head) noexcept {
  const std::size_t size = head_size(head);
  if (size > out.size()) return size;  // writes nothing
  Writer writer{out.data()};
  emit(writer, head);
  return size;
}

void append_head(std::string& out, const ResponseHead& head) {
  const std::size_t old = out.size();
  out.resize(old + head_size(head));  // no allocation once the string's capacity has grown
  Writer writer{out.data() + old};
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
