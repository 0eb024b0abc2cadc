// delay_clients: the first example of "Asynchronous Programming in Rust" (a simplified mio
// driving several HTTP requests from one thread), ported to evq::poll.
//
//   delay_clients [--connections N] [--unit-ms U] [--backend NAME] [HOST:PORT]
//
// Connection i asks a delay server (mini_delay_server, or the book's delayserver) to wait
// (N - i) * U ms before answering `request-i`. The requests go out in order 0..N-1 and the
// answers come back in reverse, all on one thread that blocks only in Poll::poll.
// Defaults: N = 5, U = 1000, 127.0.0.1:8080, backend from EVQ_BACKEND or the best available.
//
// Unlike the book, every line goes to stdout (the book puts progress on stderr), so whoever
// reads the output sees the lines in the order they happened.
// Exit status: 0 when every connection got `200 OK` with body `request-i`; 1 otherwise.
#include <array>
#include <charconv>
#include <cstddef>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "evq/poll/poll.hpp"
#include "evq/poll/source.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"
#include "evq/sys/socket_addr.hpp"

namespace {

namespace sys = evq::sys;
using evq::poll::Event;
using evq::poll::Interest;
using evq::poll::Token;

struct Options {
  std::size_t connections = 5;
  std::size_t unit_ms = 1000;
  std::string_view backend;  // empty: EVQ_BACKEND, else "auto"
  std::string_view address = "127.0.0.1:8080";
};

struct Connection {
  evq::poll::Source source;
  std::string request;
  std::size_t sent = 0;  // bytes of `request` written so far
  std::string response;  // everything received so far
  bool eof = false;      // the server closed (we asked for `Connection: close`)
  bool done = false;     // finished, well or badly; the source is closed
};

std::string http_request(std::size_t delay_ms, std::size_t i) {
  return "GET /" + std::to_string(delay_ms) + "/request-" + std::to_string(i) +
         " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

std::string describe(const Event& e) {
  std::string s;
  if (e.readable()) s += " readable";
  if (e.writable()) s += " writable";
  if (e.read_closed()) s += " read_closed";
  if (e.write_closed()) s += " write_closed";
  if (e.error()) s += " error";
  return s.empty() ? s : s.substr(1);
}

// Writes what is left of the request. A non-blocking connect reports that it finished by making
// the socket writable (or by an error), so look at its outcome first. While it is still in
// progress, send() says would_block, and do_io re-arms WRITABLE for the next event.
// Returns the error that ends this connection, or none.
std::error_code send_request(Connection& c, Token token, const evq::poll::Registry& registry) {
  auto pending = sys::socket_error(c.source.fd());
  if (!pending) return pending.error();
  if (*pending) return *pending;  // "connect: Connection refused"
  while (c.sent < c.request.size()) {
    const std::string_view rest = std::string_view(c.request).substr(c.sent);
    auto n =
        c.source.do_io(Interest::WRITABLE, [&](int fd) { return sys::send(fd, sys::bytes(rest)); });
    if (!n) return sys::is_would_block(n.error()) ? std::error_code() : n.error();
    c.sent += *n;
  }
  // Sent: from now on only the answer matters.
  auto r = registry.reregister(c.source, token, Interest::READABLE);
  return r ? std::error_code() : r.error();
}

// Reads until would_block (the edge-triggered contract), printing each chunk like the book.
std::error_code receive(Connection& c, std::size_t i, const Event& event) {
  std::array<std::byte, 4096> buf;
  for (;;) {
    auto n = c.source.do_io(Interest::READABLE, [&](int fd) { return sys::recv(fd, buf); });
    if (!n) return sys::is_would_block(n.error()) ? std::error_code() : n.error();
    if (*n == 0) {
      c.eof = true;
      return {};
    }
    const std::string_view chunk(reinterpret_cast<const char*>(buf.data()), *n);
    std::cout << "RECEIVED: connection " << i << " (" << describe(event) << ")\n"
              << chunk << "\n------\n";
    c.response += chunk;
  }
}

// True for `HTTP/1.1 200 ...` with body `request-i`.
bool expected_response(const std::string& response, std::size_t i) {
  const auto body = response.find("\r\n\r\n");
  return response.starts_with("HTTP/1.1 200 ") && body != std::string::npos &&
         response.substr(body + 4) == "request-" + std::to_string(i);
}

bool parse_number(std::string_view text, std::size_t& out, std::size_t min, std::size_t max) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  bool have_address = false;
  for (int k = 1; k < argc; ++k) {
    const std::string_view arg = argv[k];
    const bool has_value = k + 1 < argc;
    if (arg == "--connections" && has_value) {
      if (!parse_number(argv[++k], o.connections, 1, 10000)) return std::nullopt;
    } else if (arg == "--unit-ms" && has_value) {
      if (!parse_number(argv[++k], o.unit_ms, 0, 3'600'000)) return std::nullopt;
    } else if (arg == "--backend" && has_value) {
      o.backend = argv[++k];
    } else if (!arg.starts_with("-") && !have_address) {
      o.address = arg;
      have_address = true;
    } else {
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const auto opts = parse_args(argc, argv);
  if (!opts) {
    std::cerr << "usage: delay_clients [--connections N (1..10000)] [--unit-ms U] "
                 "[--backend NAME] [HOST:PORT]\n";
    return 2;
  }
  auto addr = sys::SocketAddr::parse(opts->address);
  if (!addr) {
    std::cout << "error: " << opts->address << ": " << addr.error().message() << "\n";
    return 2;
  }
  auto poll = evq::poll::Poll::create({.backend = opts->backend});
  if (!poll) {
    std::cout << "error: creating the event queue: " << poll.error().message() << "\n";
    return 1;
  }
  const auto& registry = poll->registry();

  // Start every connection and register it edge-triggered (evq always is), with its index as the
  // token. The book writes the request right away, with a blocking write on a socket that may
  // still be connecting; here the request goes out when the socket says it is writable.
  const std::size_t n = opts->connections;
  std::vector<Connection> conns(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto fd = sys::connect_to(*addr);
    if (!fd) {
      std::cout << "connection " << i << ": error: " << fd.error().message() << "\n";
      return 1;
    }
    conns[i].source = evq::poll::Source(std::move(*fd));
    conns[i].request = http_request((n - i) * opts->unit_ms, i);
    auto r = registry.register_(conns[i].source, Token(i), Interest::READABLE | Interest::WRITABLE);
    if (!r) {
      std::cout << "connection " << i << ": error: " << r.error().message() << "\n";
      return 1;
    }
  }

  std::cout << "Created connections... processing events\n";
  evq::poll::Events events(10);
  std::size_t handled = 0;
  bool all_ok = true;
  while (handled < n) {
    if (auto r = poll->poll(events, std::nullopt); !r) {
      if (r.error() == std::errc::interrupted) continue;  // a signal arrived: just wait again
      std::cout << "error: " << r.error().message() << "\n";
      return 1;
    }
    std::cout << "Processing: " << events.size() << " events\n";
    if (events.empty()) {
      std::cout << "TIMEOUT (OR SPURIOUS EVENT NOTIFICATION)\n";
      continue;
    }
    for (const Event& event : events) {
      const std::size_t i = event.token().value();
      // A connection closed earlier in this batch may still have events in it: skip them.
      if (i >= n || conns[i].done) continue;
      // Finish sending if needed, then read until would_block (while the request is not out yet,
      // recv just says would_block).
      Connection& c = conns[i];
      std::error_code ec;
      if (c.sent < c.request.size()) ec = send_request(c, event.token(), registry);
      if (!ec) ec = receive(c, i, event);
      if (!ec && !c.eof) continue;  // more to come: wait for the next event

      c.done = true;
      ++handled;
      (void)c.source.close();  // deregisters, then closes
      if (ec) {
        std::cout << "response " << i << ": error: " << ec.message() << "\n";
        all_ok = false;
      } else if (expected_response(c.response, i)) {
        std::cout << "response " << i << ": 200 OK, body \"request-" << i << "\"\n";
      } else {
        std::cout << "response " << i << ": error: not `200 OK` with body \"request-" << i
                  << "\"\n";
        all_ok = false;
      }
    }
  }
  if (all_ok) {
    std::cout << "All " << n << " responses received\n";
  } else {
    std::cout << "FAILED: not every connection got its response\n";
  }
  return all_ok ? 0 : 1;
}
