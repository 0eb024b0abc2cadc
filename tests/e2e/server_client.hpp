// Helpers for end-to-end tests of the `evq` servers: start one on port 0 and talk to it with
// plain blocking sockets (an oracle independent of evq). EVQ_BINARY is the evq executable.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "child.hpp"

namespace evq::test {

struct Server {
  std::unique_ptr<Child> child;
  std::uint16_t port = 0;
};

inline Server start(std::vector<std::string> args, std::optional<rlim_t> nofile = std::nullopt) {
  args.insert(args.begin(), EVQ_BINARY);
  Server s{std::make_unique<Child>(args)};
  if (nofile) {
    rlimit lim{*nofile, *nofile};
    EXPECT_EQ(::prlimit(s.child->pid(), RLIMIT_NOFILE, &lim, nullptr), 0);
  }
  const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)\n");
  std::smatch m;
  s.child->read_until([&](const std::string& out) { return std::regex_search(out, m, re); },
                      Clock::now() + 5s);
  if (!std::regex_search(s.child->output(), m, re)) {
    ADD_FAILURE() << "no listening line; output:\n" << s.child->output();
    return s;
  }
  s.port = static_cast<std::uint16_t>(std::stoi(m[1]));
  return s;
}

// A blocking client socket with 10 s timeouts.
inline int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline void send_str(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads until the peer closes (or 10 s pass).
inline std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// Reads `count` complete responses (head + Content-Length body).
inline std::vector<std::string> read_responses(int fd, int count) {
  std::vector<std::string> got;
  std::string buf;
  char chunk[4096];
  while (static_cast<int>(got.size()) < count) {
    const auto end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::smatch m;
      const std::string head = buf.substr(0, end + 4);
      std::size_t len = 0;
      if (std::regex_search(head, m, std::regex("Content-Length: ([0-9]+)")))
        len = std::stoul(m[1]);
      if (buf.size() >= end + 4 + len) {
        got.push_back(buf.substr(0, end + 4 + len));
        buf.erase(0, end + 4 + len);
        continue;
      }
    }
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  return got;
}

inline bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

// Closes with a reset (SO_LINGER 0): the peer vanishes without a FIN.
inline void reset_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  ::close(fd);
}

// Waits until the peer closes `fd` (end of stream or reset), dropping what arrives: how long
// that took, or nothing if `limit` passed first.
inline std::optional<std::chrono::duration<double, std::milli>> time_to_close(
    int fd, std::chrono::milliseconds limit) {
  const auto t0 = Clock::now();
  char buf[65536];
  while (Clock::now() - t0 < limit) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && !would_block(errno))) return Clock::now() - t0;
  }
  return std::nullopt;
}

// Reads `n` bytes within `limit` (fewer if the peer closes or the time is up).
inline std::string read_exactly(int fd, std::size_t n, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::string got;
  char buf[4096];
  while (got.size() < n && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t r = ::recv(fd, buf, std::min(sizeof(buf), n - got.size()), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && !would_block(errno))) break;
    if (r > 0) got.append(buf, static_cast<std::size_t>(r));
  }
  return got;
}

inline std::string get(std::uint16_t port, std::string_view request) {
  const int fd = connect_to(port);
  send_str(fd, request);
  auto r = read_responses(fd, 1);
  ::close(fd);
  return r.empty() ? std::string() : r[0];
}

inline int status_of(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

inline std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

class EvqServer : public testing::TestWithParam<std::string_view> {
 protected:
  Server delay(std::vector<std::string> extra = {}, std::optional<rlim_t> nofile = {}) {
    std::vector<std::string> args{"delay-server", "--port", "0", "--backend",
                                  std::string(GetParam())};
    args.insert(args.end(), extra.begin(), extra.end());
    return start(args, nofile);
  }
};

}  // namespace evq::test
