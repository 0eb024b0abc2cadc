#include "server.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "evq/error.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::app {
namespace {

using namespace std::chrono_literals;

bool out_of_fds(const std::error_code& ec) {
  return ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
         ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory;
}

// Waits for SIGINT or SIGTERM through a signalfd on the runtime's driver.
rt::Task<int> wait_for_signal(int sfd_raw) {
  auto sock = net::detail::Socket::attach(sys::Fd(sfd_raw));
  if (!sock) co_return SIGTERM;
  for (;;) {
    const std::uint64_t tried_at = sock->driver()->turns();
    signalfd_siginfo info;
    if (::read(sock->fd(), &info, sizeof(info)) == sizeof(info))
      co_return static_cast<int>(info.ssi_signo);
    net::detail::OpAwaiter<net::detail::TakeResult> readable(
        rt::detail::OpKind::readable, sock->driver(), sock->io(), nullptr, 0, {});
    readable.tried_at = tried_at;
    (void)co_await readable;
  }
}

rt::Task<void> accept_loop(net::TcpListener& listener, std::list<Connection>& conns,
                           Handler handler, void* context, bool verbose) {
  for (;;) {
    auto c = co_await listener.accept();
    if (!c) {
      if (out_of_fds(c.error())) {
        if (verbose) std::cerr << "accept: " << c.error().message() << "; pausing 100 ms\n";
        co_await rt::sleep(100ms);
      } else if (c.error() != std::errc::connection_aborted) {
        // Not one client's problem (EINVAL, EBADF, ...): never spin on it.
        if (verbose) std::cerr << "accept: " << c.error().message() << "\n";
        co_await rt::sleep(10ms);
      }
      continue;
    }
    (void)c->first.set_nodelay(true);
    conns.remove_if([](const Connection& k) { return k.task.is_finished(); });
    Connection& conn = conns.emplace_back();
    conn.task = rt::spawn(handler(std::move(c->first), conn, context));
  }
}

rt::Task<int> serve(const ServerOptions& o, std::string_view banner, Handler handler, void* context,
                    int sfd) {
  auto addr = sys::SocketAddr::parse(o.host.find(':') != std::string::npos
                                         ? "[" + o.host + "]:" + std::to_string(o.port)
                                         : o.host + ":" + std::to_string(o.port));
  if (!addr) {
    std::cerr << "evq: " << o.host << ": " << addr.error().message() << "\n";
    co_return 2;
  }
  auto listener = net::TcpListener::bind(*addr, 65535);
  if (!listener) {
    std::cerr << "evq: cannot listen on " << addr->to_string() << ": " << listener.error().message()
              << "\n";
    co_return 1;
  }
  if (!o.quiet) std::cout << banner;
  std::cout << "listening on " << listener->local_addr()->to_string() << std::endl;

  std::list<Connection> conns;
  auto acceptor = rt::spawn(accept_loop(*listener, conns, handler, context, o.verbose));
  const int sig = co_await wait_for_signal(sfd);
  if (o.verbose) std::cerr << "evq: signal " << sig << ": shutting down\n";

  acceptor.abort();  // stop accepting at once
  (void)co_await acceptor;
  listener = fail(std::make_error_code(std::errc::operation_canceled));  // closes the socket
  // Close idle connections, now and as soon as a busy one finishes its request.
  const auto deadline = std::chrono::steady_clock::now() + to_ms(o.grace_s);
  auto close_idle_and_count_busy = [&] {
    std::size_t busy = 0;
    for (auto& c : conns) {
      if (c.task.is_finished()) continue;
      if (c.idle) {
        c.task.abort();
      } else {
        ++busy;
      }
    }
    return busy;
  };
  while (close_idle_and_count_busy() > 0 && std::chrono::steady_clock::now() < deadline) {
    co_await rt::sleep(10ms);
  }
  for (auto& c : conns)
    c.task.abort();
  for (auto& c : conns) {
    try {
      (void)co_await c.task;
    } catch (const std::exception& e) {  // one connection's failure must not stop the shutdown
      if (o.verbose) std::cerr << "evq: connection failed: " << e.what() << "\n";
    }
  }
  co_return 0;
}

}  // namespace

std::optional<std::span<const std::byte>> send_now(net::TcpStream& s,
                                                   std::span<const std::byte> data) {
  auto n = s.try_write(data);
  if (n) return data.subspan(*n);
  if (sys::is_would_block(n.error())) return data;
  return std::nullopt;
}

rt::Task<bool> write_all_within(net::TcpStream& s, std::span<const std::byte> data,
                                std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!data.empty()) {
    auto ready = co_await rt::timeout_at(deadline, s.writable());
    if (!ready || !*ready) co_return false;
    auto rest = send_now(s, data);
    if (!rest) co_return false;
    data = *rest;
  }
  co_return true;
}

int run_server(const ServerOptions& o, std::string_view banner, Handler handler, void* context) {
  if (o.strategy != "coroutine") {
    std::cerr << "evq: --strategy " << o.strategy
              << " is not implemented yet (only coroutine is; see the strategies issue)\n";
    return 2;
  }
  if (o.threads != 1) {
    std::cerr << "evq: --threads " << o.threads << " is not implemented yet (only 1 is)\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // sends use MSG_NOSIGNAL; this covers everything else
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  const int sfd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) {
    std::cerr << "evq: " << sys::last_error(sys::Op::fcntl).message() << "\n";
    return 1;
  }
  auto runtime = rt::Runtime::create({.backend = o.backend});
  if (!runtime) {
    std::cerr << "evq: " << runtime.error().message() << "\n";
    ::close(sfd);
    return 1;
  }
  if (o.verbose) std::cerr << "evq: backend " << (o.backend.empty() ? "auto" : o.backend) << "\n";
  return runtime->block_on(serve(o, banner, handler, context, sfd));
}

}  // namespace evq::app
