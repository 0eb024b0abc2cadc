// Requests, valid and not, shared by the differential test (against libhttp-parser) and the
// splitting test. Each says what evq must answer and, where evq deliberately disagrees with
// libhttp-parser 2.9, why.
#pragma once

#include <string_view>

namespace evq::http::test {

using namespace std::string_view_literals;

inline constexpr int kIncomplete = -1;

struct Case {
  const char* name;
  std::string_view text;  // one request (or a truncated one)
  int evq_status;         // 0: a complete valid request; kIncomplete; else the error status
  // Null when both parsers must agree. Otherwise why evq differs on purpose; the differential
  // test checks that libhttp-parser really does disagree, so the list stays exact.
  const char* differs = nullptr;
};

inline constexpr Case kCorpus[] = {
    // --- valid ---
    {"simple_get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0},
    {"get_query_many_fields",
     "GET /search?q=evq&lang=en HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n"
     "Accept: */*\r\nAccept-Language: en\r\nCookie: a=b; c=d\r\n\r\n",
     0},
    {"http10_no_host", "GET /index.html HTTP/1.0\r\n\r\n", 0},
    {"http10_keep_alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0},
    {"http10_keep_alive_mixed_case", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0},
    {"http11_close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0},
    {"http11_close_in_list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", 0},
    {"post_content_length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
     0},
    {"content_length_zero", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0},
    {"content_length_ows", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  3 \r\n\r\nabc", 0},
    {"chunked_two_chunks",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
     0},
    {"chunked_ext_and_trailers",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3;name=v\r\nabc\r\n0\r\nExpires: never\r\n\r\n",
     0},
    {"chunked_uppercase_hex",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "A\r\n0123456789\r\n0\r\n\r\n",
     0},
    {"chunked_mixed_case_coding",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", 0},
    {"chunk_size_bws",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3 \r\nabc\r\n0\r\n\r\n",
     0},
    {"head", "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", 0},
    {"put", "PUT /r HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", 0},
    {"delete", "DELETE /r/1 HTTP/1.1\r\nHost: a\r\n\r\n", 0},
    {"options_asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0},
    {"patch", "PATCH /r HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", 0},
    {"absolute_form", "GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n",
     0},
    {"percent_encoded_path", "GET /1000/hello%20world%2F%F0%9F%98%80 HTTP/1.1\r\nHost: a\r\n\r\n",
     0},
    {"leading_empty_lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0},
    {"bare_lf", "GET / HTTP/1.1\nHost: a\nX: y\n\n", 0},
    {"bare_lf_head_chunked_body",
     "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\n\r\n", 0},
    {"value_with_tabs", "GET / HTTP/1.1\r\nHost: a\r\nX:\t a \t b\t\r\n\r\n", 0},
    {"empty_value", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", 0},
    {"obs_text_value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", 0},
    {"obs_text_target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 0},
    {"ipv6_host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0},
    {"http10_post", "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", 0},
    // --- invalid ---
    {"garbage", "HELLO\r\n\r\n", 400},
    {"missing_target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"trailing_space_after_version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
    {"lowercase_version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
    {"version_letters", "GET / HTTP/x.1\r\nHost: a\r\n\r\n", 400},
    {"version_two_digit_minor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
    {"control_char_in_target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"bare_cr_in_field", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
    {"missing_colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
    {"empty_field_name", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400},
    {"nul_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv, 400},
    {"content_length_letters", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400},
    {"content_length_plus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", 400},
    {"content_length_list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx", 400},
    {"content_length_twice",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
    {"content_length_overflow",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
    {"content_length_and_chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3\r\nabc\r\n0\r\n\r\n",
     400},
    {"transfer_encoding_gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
     501},
    {"transfer_encoding_identity",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501},
    {"chunked_not_last",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
    {"chunked_twice_in_list",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
    {"transfer_encoding_empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400},
    {"chunk_size_not_hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     400},
    {"bare_lf_in_chunked_body",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n", 400},
    {"chunk_longer_than_size",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400},
    // --- incomplete ---
    {"truncated_head", "GET / HTTP/1.1\r\nHost: a\r\n", kIncomplete},
    {"truncated_body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", kIncomplete},
    {"truncated_chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", kIncomplete},
    // --- where evq deliberately differs ---
    {"http11_without_host", "GET / HTTP/1.1\r\n\r\n", 400,
     "RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host"},
    {"host_twice", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
     "RFC 9112 3.2: a server MUST answer 400 to more than one Host"},
    {"host_with_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400,
     "RFC 9112 3.2: a server MUST answer 400 to an invalid Host value"},
    {"obs_fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400,
     "RFC 9112 5.2: obs-fold is rejected, not unfolded"},
    {"whitespace_before_first_field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400,
     "RFC 9112 2.2: whitespace before the first field is rejected"},
    {"space_before_colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
     "RFC 9112 5.1: a server MUST answer 400 to whitespace between a field name and the colon"},
    {"control_char_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n", 400,
     "RFC 9110 5.5: control characters are not field-vchars"},
    {"double_space_in_request_line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "RFC 9112 3: exactly one SP between the parts of the request line"},
    {"tab_in_target", "GET /\ta HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "RFC 9112 3.2: whitespace is not allowed in a request-target"},
    {"http09_simple_request", "GET /\r\n\r\n", 400,
     "HTTP/0.9 is not spoken: a request line without a version is malformed"},
    {"http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505,
     "only HTTP/1.0 and 1.1 are spoken: other versions get 505"},
    {"http09_version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505,
     "only HTTP/1.0 and 1.1 are spoken: other versions get 505"},
    {"chunked_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
     "RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing"},
    {"chunked_on_two_lines",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
     "\r\n0\r\n\r\n",
     400, "RFC 9112 6.1: chunked is applied once; the first one is not the last coding"},
    {"gzip_then_chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
     "evq decodes chunked only: any other coding is 501, even under chunked"},
    {"unknown_method", "FOO / HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     "(more lenient) any token is a method; the server answers 405"},
    {"lowercase_method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     "(more lenient) methods are case-sensitive tokens; the server answers 405"},
    {"http10_keep_alive_and_close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0,
     "keep-alive differs: close wins (RFC 9112 9.6); libhttp-parser keeps 1.0 alive"},
};

}  // namespace evq::http::test
