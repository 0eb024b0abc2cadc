// The delay server's protocol without I/O: parsing, deciding and rendering answers, and one
// connection's state between waits. Every strategy (coroutine, fiber, callback, thread, pool,
// process) drives the same `Conn` with its own kind of I/O, so their answers, statuses and
// console lines are identical by construction.
//
// A strategy's loop, in words: ask `next()`; on `read`, wait up to `read_limit()` for bytes and
// hand them to `received()` (the peer closing or failing ends the connection); on `answer`,
// wait `Answer::delay_ms` while watching the socket (`received_during_delay()` keeps what a
// pipelining client sends meanwhile; a peer that closes or fails ends the connection at once),
// then send `render()`'s bytes; on `fail`, send `out` and close. After an answer with
// `keep_alive` false: shut the write side (FIN), then read and drop for up to kLinger.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "delay_server.hpp"
#include "evq/http/request_parser.hpp"

namespace evq::app::delay {

// After its last answer a connection closes in stages (RFC 9112 9.6): FIN at once, then it reads
// and drops what the client still sends, until the client closes or this long has passed.
// Closing at once with unread bytes makes the kernel send RST instead of FIN, and a client can
// lose the answer (a 413 while it is still uploading, pipelined requests after
// `Connection: close`).
inline constexpr auto kLinger = std::chrono::seconds(2);

// What a pipelining client may send during a delay that is kept for later; beyond it the
// connection stops reading until the answer is out (backpressure), as it does between reads.
inline constexpr std::size_t kMaxBufferedDuringDelay = 64 * 1024;

// The console lines' request counter: in memory shared with forked children (the process
// strategy), so that numbering is one sequence whatever the strategy.
std::atomic<std::uint64_t>& shared_request_counter();

struct Context {
  DelayOptions options;
  std::atomic<std::uint64_t>* requests = &shared_request_counter();  // every thread and process
};

// The answer to one request, decided at once and sent after `delay_ms`.
struct Answer {
  std::string body;  // also holds what a slow reader has not taken yet
  std::uint64_t delay_ms = 0;
  int status = 200;
  bool keep_alive = true;
  bool head = false;  // a HEAD request: no body is sent
};

// Decides the answer to one request (no I/O); prints the console line for a valid one.
void decide(const http::Request& req, Context& ctx, Answer& a);

// The response to `a`, in `out`.
void render(const Answer& a, std::string& out);

// One connection's state between waits, and the steps that need no I/O.
struct Conn {
  http::Parser parser;
  std::string in;             // received, not yet consumed, kept across waits
  std::string_view buffered;  // the unconsumed bytes: in the caller's buffer right after a
                              // read (see received), else `in`
  bool in_scratch = false;
  std::chrono::steady_clock::time_point head_started{};

  enum class Next : std::uint8_t { answer, read, fail };

  // Parses what is buffered: `answer` (a request is decided in `a`; what follows it is safe in
  // `in`), `read` (more bytes are needed), or `fail` (the error response is in `out`).
  Next next(Context& ctx, Answer& a, std::string& out);

  // How long the next read may wait: a new request has --idle-timeout to start, a started head
  // --header-timeout, a body being received --idle-timeout per read. Also says whether the
  // connection is idle (between requests). 0 or less: the time is up, close.
  std::chrono::milliseconds read_limit(const DelayOptions& o, bool& idle);

  // Bytes that a read just put into the caller's buffer, which must stay untouched until the
  // next call of next() (they are parsed in place when nothing else is buffered).
  void received(std::string_view got);

  // Bytes read while an answer waits for its delay: always copied. False once
  // kMaxBufferedDuringDelay is reached (stop reading until the answer is sent).
  bool received_during_delay(std::string_view got);

 private:
  void keep_in() noexcept {
    buffered = in;
    in_scratch = false;
  }
};

}  // namespace evq::app::delay
