// mini_delay_server: a minimal delay server written for the delay_clients test and demo.
//
//   mini_delay_server [--port P]      (default 8080; 0 picks a free port)
//
// `GET /{delay_ms}/{message} HTTP/1.x` waits delay_ms, then answers 200 with the percent-decoded
// message as the body, like the delay server of "Asynchronous Programming in Rust". It shares
// nothing with evq::poll on purpose, so that it can judge it: plain blocking sockets and one
// thread per connection.
//
// Binds 127.0.0.1 and prints `listening on 127.0.0.1:PORT` once it accepts connections, then
// `#n - {delay_ms}ms: {message}` per request. Connections stay open unless the request says
// `Connection: close` or is HTTP/1.0. A delay that is not an integer in [0, 2^32) gets 400, other
// paths 404, a request head over 8 KiB 400 (and the connection is closed).
// SIGTERM or SIGINT: stops accepting, cuts open connections and pending delays short, exits 0.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr std::size_t kMaxHead = 8 * 1024;

std::mutex out_mu;
void say(const std::string& line) {
  std::lock_guard lock(out_mu);
  std::cout << line << std::endl;
}

// What the threads share: the open connections, so that a shutdown can cut them short.
class Server {
 public:
  // Before a connection's thread starts. False when stopping: the caller closes fd.
  bool add(int fd) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    conns_.insert(fd);
    return true;
  }
  // When a connection's thread ends: closes fd.
  void remove(int fd) {
    std::lock_guard lock(mu_);
    conns_.erase(fd);
    ::close(fd);
    cv_.notify_all();
  }
  // Waits `delay`; false if the server started stopping meanwhile.
  bool sleep(std::chrono::milliseconds delay) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, delay, [&] { return stopping_; });
  }
  // Wakes every connection thread: blocked reads return 0, writes fail, sleeps end.
  void stop() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (int fd : conns_)
      ::shutdown(fd, SHUT_RDWR);
    cv_.notify_all();
  }
  void wait_idle() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return conns_.empty(); });
  }
  std::uint64_t next_request() { return ++requests_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<int> conns_;
  std::atomic<std::uint64_t> requests_{0};
};

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool respond(int fd, int status, std::string_view body, bool keep_alive) {
  const char* reason = status == 200 ? "OK" : status == 400 ? "Bad Request" : "Not Found";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: " + (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  r += body;
  return send_all(fd, r);
}

// Rejects and closes gracefully: the client gets the 400 even if it is still sending (closing
// with unread data would reset the connection and could destroy the answer in flight).
void reject(int fd, std::string_view why) {
  respond(fd, 400, why, false);
  ::shutdown(fd, SHUT_WR);
  const timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char sink[4096];
  for (int i = 0; i < 256 && ::recv(fd, sink, sizeof(sink), 0) > 0; ++i) {
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// True if the head has a `Connection: close` header.
bool wants_close(std::string_view head) {
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t start = at + 2;
    at = head.find("\r\n", start);
    const std::string_view line = head.substr(start, at - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), "connection") &&
        iequals(trim(line.substr(colon + 1)), "close")) {
      return true;
    }
  }
  return false;
}

// %XX becomes the byte 0xXX; anything else, including a malformed escape, stays as it is.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned value = 0;
    if (s[i] == '%' && i + 2 < s.size()) {
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
      if (ec == std::errc() && end == s.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Answers one request. Returns whether the connection stays open.
bool serve_request(Server& server, int fd, std::string_view head) {
  const std::string_view line = head.substr(0, head.find("\r\n"));  // GET /500/hi HTTP/1.1
  const std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) {
    reject(fd, "bad request line\n");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!version.starts_with("HTTP/1.")) {
    reject(fd, "not HTTP/1.x\n");
    return false;
  }
  const bool keep_alive = version != "HTTP/1.0" && !wants_close(head);

  const std::size_t slash = target.find('/', 1);
  if (method != "GET" || !target.starts_with('/') || slash == std::string_view::npos) {
    return respond(fd, 404, "try GET /{delay_ms}/{message}\n", keep_alive) && keep_alive;
  }
  const std::string_view delay_text = target.substr(1, slash - 1);
  std::uint32_t delay_ms = 0;
  const auto [end, ec] =
      std::from_chars(delay_text.data(), delay_text.data() + delay_text.size(), delay_ms);
  if (delay_text.empty() || ec != std::errc() || end != delay_text.data() + delay_text.size()) {
    reject(fd, "the delay must be a non-negative integer (milliseconds)\n");
    return false;
  }
  const std::string message = percent_decode(target.substr(slash + 1));

  say("#" + std::to_string(server.next_request()) + " - " + std::to_string(delay_ms) +
      "ms: " + message);
  if (!server.sleep(std::chrono::milliseconds(delay_ms))) return false;  // shutting down
  return respond(fd, 200, message, keep_alive) && keep_alive;
}

// One connection's thread: reads request heads (up to the blank line) and answers each.
void serve_connection(Server& server, int fd) {
  std::string buf;
  for (bool open = true; open;) {
    const std::size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos && end + 4 <= kMaxHead) {
      const std::string head = buf.substr(0, end + 4);
      buf.erase(0, end + 4);
      open = serve_request(server, fd, head);
    } else if (end != std::string::npos || buf.size() >= kMaxHead) {
      reject(fd, "request head over 8 KiB\n");
      open = false;
    } else {
      char chunk[4096];
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // closed, reset, or the server is stopping
      buf.append(chunk, static_cast<std::size_t>(n));
    }
  }
  server.remove(fd);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 8080;
  if (argc == 3 && std::string_view(argv[1]) == "--port") {
    const std::string_view text = argv[2];
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size()) argc = 0;
  }
  if (argc != 1 && argc != 3) {
    std::cerr << "usage: mini_delay_server [--port P]   (0 picks a free port)\n";
    return 2;
  }

  // SIGTERM and SIGINT stay blocked in every thread (the mask is inherited); one thread takes
  // them with sigwait, so no handler can race with the blocking calls.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int wake[2];  // the signal thread tells the accept loop to stop
  if (listener < 0 || ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 128) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe2(wake, O_CLOEXEC) != 0) {
    std::cerr << "mini_delay_server: cannot listen on 127.0.0.1:" << port << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }

  Server server;
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    say(std::string("got ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
    server.stop();
    (void)!::write(wake[1], "x", 1);
  });
  say("listening on 127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));

  int status = 0;
  for (;;) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      std::cerr << "mini_delay_server: poll: " << std::strerror(errno) << "\n";
      status = 1;
      break;
    }
    if (fds[1].revents != 0) break;
    if (fds[0].revents == 0) continue;
    // Accepted sockets do not inherit O_NONBLOCK on Linux: the connections are blocking.
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      std::cerr << "mini_delay_server: accept: " << std::strerror(errno) << "\n";
      status = 1;
      break;
    }
    if (!server.add(fd)) {
      ::close(fd);
      continue;
    }
    try {
      std::thread([&server, fd] { serve_connection(server, fd); }).detach();
    } catch (const std::system_error& e) {
      std::cerr << "mini_delay_server: cannot start a thread: " << e.what() << "\n";
      server.remove(fd);
    }
  }
  if (status != 0) pthread_kill(signals.native_handle(), SIGTERM);  // stop the signal thread too
  signals.join();
  server.wait_idle();  // every connection thread has closed its socket
  ::close(listener);
  ::close(wake[0]);
  ::close(wake[1]);
  return status;
}
