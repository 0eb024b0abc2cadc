// What every `evq` server shares: options, the listener and accept loop, connection tracking,
// signals and graceful shutdown. A server supplies only its connection handler.
//
// Shutdown (SIGINT/SIGTERM): stop accepting at once (the listener is closed), abort connections
// that are idle between requests, let the others finish within --grace seconds, then abort
// what is left and exit 0. A second signal during that time ends the process at once.
// --threads N: N share-nothing event loops, one per thread, each with its own runtime and its
// own SO_REUSEPORT listener on the same address (the kernel spreads new connections among
// them); a connection stays on the loop that accepted it. The first loop takes the signal and
// tells the others through an eventfd; each shuts down as above. A handler's context is shared
// by all loops: what it changes must be thread-safe.
// Out of file descriptors (EMFILE/ENFILE) on accept: pause accepting for 100 ms and retry, so the
// loop neither spins nor stops for good; service resumes once fds are free.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>

#include "evq/net/tcp.hpp"
#include "evq/rt/join_handle.hpp"
#include "evq/rt/task.hpp"

namespace evq::app {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string strategy = "coroutine";
  std::string backend;  // empty: EVQ_BACKEND, else auto
  unsigned threads = 1;
  double grace_s = 5;
  double idle_timeout_s = 30;
  double header_timeout_s = 10;
  bool quiet = false;
  bool verbose = false;
};

// One connection as the server tracks it. The handler keeps `idle` true while it waits for the
// first byte of a request, so shutdown knows which connections it may close at once.
struct Connection;

// A loop's live connections. While `stopping`, the list is walked and left as it is.
struct Connections {
  std::list<Connection> list;
  bool stopping = false;
};

struct Connection {
  rt::JoinHandle<void> task;
  bool idle = true;
  // Where the server tracks it, so that it can leave in O(1) when its task ends.
  Connections* owner = nullptr;
  std::list<Connection>::iterator self;
};

// A handler's first local: when the handler's frame is freed (its task ended), the connection
// leaves the server's list, unless the server is shutting down (it then waits for every task
// through the list and drops it whole).
class LeaveWhenDone {
 public:
  explicit LeaveWhenDone(Connection& c) noexcept : c_(c) {}
  LeaveWhenDone(const LeaveWhenDone&) = delete;
  LeaveWhenDone& operator=(const LeaveWhenDone&) = delete;
  ~LeaveWhenDone() {
    if (c_.owner && !c_.owner->stopping) c_.owner->list.erase(c_.self);  // detaches the handle
  }

 private:
  Connection& c_;
};

using Handler = rt::Task<void> (*)(net::TcpStream stream, Connection& conn, void* context);

// A duration given in (fractional) seconds on the command line (checked: finite, 0 to 1e9), in
// whole milliseconds, rounded up: a positive timeout never becomes 0.
inline std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
}

// Runs a server until SIGINT/SIGTERM; returns the process exit code. `banner` is printed before
// the `listening on` line (unless quiet).
int run_server(const ServerOptions& options, std::string_view banner, Handler handler,
               void* context);

// The size of `handler`'s coroutine frame, what a parked connection costs beyond its socket
// (the frame is created, measured and destroyed without running).
std::size_t frame_size(Handler handler, void* context);

// Sends what fits into the socket now, without suspending: the rest of `data` (empty when all
// of it went), or nullopt on an error (the peer is gone).
std::optional<std::span<const std::byte>> send_now(net::TcpStream& s,
                                                   std::span<const std::byte> data);

// Writes all of `data` within `limit`: a client that stops reading cannot hold the connection
// (and its fd, and a graceful shutdown) for ever. False on error or timeout. The slow path of
// send_now: call it with what send_now left.
rt::Task<bool> write_all_within(net::TcpStream& s, std::span<const std::byte> data,
                                std::chrono::milliseconds limit);

}  // namespace evq::app
