#include "server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>
#include <vector>

#include "evq/error.hpp"
#include "evq/rt/runtime.hpp"
#include "evq/rt/time.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::app {
namespace {

using namespace std::chrono_literals;

// SIGINT and SIGTERM: the signals that stop a server.
sigset_t stop_signals() noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

bool out_of_fds(const std::error_code& ec) {
  return ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
         ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory;
}

// Waits until the loop must stop: SIGINT or SIGTERM through a signalfd (the first loop), or
// the stop eventfd becoming readable (the other loops of --threads; never read, so every loop
// sees it). Returns the signal, or 0 for the eventfd.
rt::Task<int> wait_for_stop(sys::Fd fd, bool is_signalfd) {
  auto sock = net::detail::Socket::attach(std::move(fd));
  if (!sock) co_return SIGTERM;
  for (;;) {
    const std::uint64_t tried_at = sock->driver()->turns();
    if (is_signalfd) {
      signalfd_siginfo info;
      if (::read(sock->fd(), &info, sizeof(info)) == sizeof(info))
        co_return static_cast<int>(info.ssi_signo);
    } else {
      pollfd p{sock->fd(), POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) co_return 0;
    }
    net::detail::OpAwaiter<net::detail::TakeResult> readable(
        rt::detail::OpKind::readable, sock->driver(), sock->io(), nullptr, 0, {});
    readable.tried_at = tried_at;
    (void)co_await readable;
  }
}

rt::Task<void> accept_loop(net::TcpListener& listener, Connections& conns, Handler handler,
                           void* context, bool verbose) {
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
    Connection& conn = conns.list.emplace_back();
    conn.owner = &conns;
    conn.self = std::prev(conns.list.end());
    conn.task = rt::spawn(handler(std::move(c->first), conn, context));
  }
}

// One event loop: accepts on its own listener until told to stop, then shuts down gracefully.
rt::Task<int> serve(const ServerOptions& o, sys::Fd listening, Handler handler, void* context,
                    sys::Fd stop, bool stop_is_signalfd) {
  auto listener = net::TcpListener::adopt(std::move(listening));
  if (!listener) {
    std::cerr << "evq: " << listener.error().message() << "\n";
    co_return 1;
  }
  Connections conns;  // each leaves when its task ends
  auto acceptor = rt::spawn(accept_loop(*listener, conns, handler, context, o.verbose));
  const int sig = co_await wait_for_stop(std::move(stop), stop_is_signalfd);
  if (o.verbose && sig) std::cerr << "evq: signal " << sig << ": shutting down\n";
  if (stop_is_signalfd) {
    // A second SIGINT/SIGTERM during the grace period ends the process at once (its default
    // action): the user asked twice.
    const sigset_t set = stop_signals();
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  }
  conns.stopping = true;  // from here on the list stays as it is while it is walked

  acceptor.abort();  // stop accepting at once
  (void)co_await acceptor;
  listener = fail(std::make_error_code(std::errc::operation_canceled));  // closes the socket
  // Close idle connections, now and as soon as a busy one finishes its request.
  const auto deadline = std::chrono::steady_clock::now() + to_ms(o.grace_s);
  auto close_idle_and_count_busy = [&] {
    std::size_t busy = 0;
    for (auto& c : conns.list) {
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
  for (auto& c : conns.list)
    c.task.abort();
  for (auto& c : conns.list) {
    try {
      (void)co_await c.task;
    } catch (const std::exception& e) {  // one connection's failure must not stop the shutdown
      if (o.verbose) std::cerr << "evq: connection failed: " << e.what() << "\n";
    }
  }
  co_return 0;
}

}  // namespace

std::size_t frame_size(Handler handler, void* context) {
  Connection conn;
  rt::detail::last_frame_size = 0;
  auto task = handler(net::TcpStream(), conn, context);
  return rt::detail::last_frame_size;
}

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

namespace {

// Runs one loop to its end; its exit code.
int run_loop(const ServerOptions& o, sys::Fd listening, Handler handler, void* context,
             sys::Fd stop, bool stop_is_signalfd) {
  auto runtime = rt::Runtime::create({.backend = o.backend});
  if (!runtime) {
    std::cerr << "evq: " << runtime.error().message() << "\n";
    return 1;
  }
  try {
    return runtime->block_on(
        serve(o, std::move(listening), handler, context, std::move(stop), stop_is_signalfd));
  } catch (const std::exception& e) {
    std::cerr << "evq: event loop failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int run_server(const ServerOptions& o, std::string_view banner, Handler handler, void* context) {
  if (o.strategy != "coroutine") {
    std::cerr << "evq: --strategy " << o.strategy
              << " is not implemented yet (only coroutine is; see the strategies issue)\n";
    return 2;
  }
  if (o.threads < 1 || o.threads > 256) {
    std::cerr << "evq: --threads must be between 1 and 256\n";
    return 2;
  }
  auto addr = sys::SocketAddr::parse(o.host.find(':') != std::string::npos
                                         ? "[" + o.host + "]:" + std::to_string(o.port)
                                         : o.host + ":" + std::to_string(o.port));
  if (!addr) {
    std::cerr << "evq: " << o.host << ": " << addr.error().message() << "\n";
    return 2;
  }
  // One listener per loop, all on one address (SO_REUSEPORT: the kernel spreads connections).
  // The first picks the port when --port is 0; the others take the same one.
  std::vector<sys::Fd> listeners;
  const bool shared = o.threads > 1;
  for (unsigned i = 0; i < o.threads; ++i) {
    auto fd = sys::listen_on(*addr, 65535, shared);
    if (!fd) {
      std::cerr << "evq: cannot listen on " << addr->to_string() << ": " << fd.error().message()
                << "\n";
      return 1;
    }
    if (i == 0) {
      addr = sys::local_addr(fd->get());  // the port picked for --port 0
      if (!addr) {
        std::cerr << "evq: " << addr.error().message() << "\n";
        return 1;
      }
    }
    listeners.push_back(std::move(*fd));
  }

  ::signal(SIGPIPE, SIG_IGN);  // sends use MSG_NOSIGNAL; this covers everything else
  const sigset_t set = stop_signals();
  ::sigprocmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: they inherit the mask
  sys::Fd sfd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  sys::Fd stop(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!sfd || !stop) {
    std::cerr << "evq: " << sys::last_error(sys::Op::fcntl).message() << "\n";
    return 1;
  }
  if (!o.quiet) std::cout << banner;
  std::cout << "listening on " << addr->to_string() << std::endl;
  if (o.verbose) {
    std::cerr << "evq: backend " << (o.backend.empty() ? "auto" : o.backend) << ", " << o.threads
              << " event loop(s)\n";
  }

  // Loops 1..N-1 on their own threads, each stopped by the eventfd; loop 0 here, stopped by
  // the signal, which then tells the others.
  std::vector<int> codes(o.threads, 0);
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < o.threads; ++i) {
    sys::Fd mine(::fcntl(stop.get(), F_DUPFD_CLOEXEC, 0));
    threads.emplace_back([&, i, l = std::move(listeners[i]), s = std::move(mine)]() mutable {
      codes[i] = s ? run_loop(o, std::move(l), handler, context, std::move(s), false) : 1;
    });
  }
  codes[0] = run_loop(o, std::move(listeners[0]), handler, context, std::move(sfd), true);
  const std::uint64_t one = 1;
  if (::write(stop.get(), &one, sizeof(one)) < 0) {
    std::cerr << "evq: " << sys::last_error(sys::Op::write).message() << "\n";
  }
  for (auto& t : threads)
    t.join();
  for (int c : codes)
    if (c != 0) return c;
  return 0;
}

}  // namespace evq::app
