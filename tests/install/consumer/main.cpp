// A program that only knows evq through its installed headers and library.
#include <evq/poll/poll.hpp>
#include <evq/poll/waker.hpp>
#include <evq/sys/socket_addr.hpp>

#include <cstdio>
#include <thread>

int main() {
  auto poll = evq::poll::Poll::create();
  if (!poll) {
    std::fprintf(stderr, "Poll::create: %s\n", poll.error().message().c_str());
    return 1;
  }
  auto waker = evq::poll::Waker::create(poll->registry(), evq::poll::Token(7));
  if (!waker) return 1;
  std::thread t([&] { waker->wake(); });
  evq::poll::Events events(4);
  auto r = poll->poll(events, std::chrono::seconds(5));
  t.join();
  if (!r || events.size() != 1 || events[0].token() != evq::poll::Token(7)) return 1;
  auto addr = evq::sys::SocketAddr::parse("[::1]:8080");
  if (!addr) return 1;
  std::printf("consumer: woken on %.*s; parsed %s\n", int(poll->backend_name().size()),
              poll->backend_name().data(), addr->to_string().c_str());
  return 0;
}
