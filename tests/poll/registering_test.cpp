// Registering, reregistering and deregistering; tokens; backend selection.
#include <fcntl.h>
#include <stdlib.h>

#include "evq/error.hpp"
#include "util.hpp"

namespace evq::test {
namespace {

class Registering : public PollTest {};

TEST_P(Registering, RegisterReregisterDeregister) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  send_all(client.get(), "x");
  EXPECT_EQ(wait_for(Token(1)) & Event::kReadable, Event::kReadable);

  // Reregistering changes the token and re-arms: the pending data is reported under the new one.
  ASSERT_TRUE(registry().reregister(server.get(), Token(2), Interest::READABLE));
  auto got = poll_once();
  EXPECT_TRUE(got.count(Token(2)));
  EXPECT_FALSE(got.count(Token(1)));

  ASSERT_TRUE(registry().deregister(server.get()));
  send_all(client.get(), "y");
  expect_no_events();
}

TEST_P(Registering, TokenRoundTripsEveryBit) {
  const Token tokens[] = {Token(0), Token(1), Token(UINTPTR_MAX - 1), Token(0x8000000000000001)};
  std::vector<TcpPair> pairs;
  for (Token t : tokens) {
    pairs.push_back(tcp_pair());
    ASSERT_TRUE(registry().register_(pairs.back().server.get(), t, Interest::READABLE));
    send_all(pairs.back().client.get(), "x");
  }
  std::map<Token, std::uint32_t> got;
  for (int i = 0; i < 20 && got.size() < std::size(tokens); ++i)
    got.merge(poll_once(100ms));
  ASSERT_EQ(got.size(), std::size(tokens));
  for (Token t : tokens)
    EXPECT_TRUE(got.count(t)) << t.value();
}

TEST_P(Registering, RegisteringTwiceIsAClearError) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  auto again = registry().register_(server.get(), Token(2), Interest::WRITABLE);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::errc::file_exists);
  EXPECT_NE(again.error().message().find("already registered"), std::string::npos)
      << again.error().message();
}

TEST_P(Registering, ChangingAnUnregisteredFdIsAnError) {
  auto [client, server] = tcp_pair();
  auto re = registry().reregister(server.get(), Token(1), Interest::READABLE);
  ASSERT_FALSE(re);
  EXPECT_EQ(re.error(), std::errc::no_such_file_or_directory);
  EXPECT_NE(re.error().message().find("reregister"), std::string::npos);
  auto de = registry().deregister(server.get());
  ASSERT_FALSE(de);
  EXPECT_EQ(de.error(), std::errc::no_such_file_or_directory);
  EXPECT_NE(de.error().message().find("not registered"), std::string::npos);
}

TEST_P(Registering, RegularFilesAreRefusedOnEveryBackend) {
  sys::Fd file(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file);
  auto r = registry().register_(file.get(), Token(1), Interest::READABLE);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::operation_not_permitted);
  EXPECT_NE(r.error().message().find("regular files"), std::string::npos);
}

TEST_P(Registering, ClosedFdIsRefused) {
  auto r = registry().register_(1000 * 1000, Token(1), Interest::READABLE);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
}

TEST_P(Registering, ReservedTokenIsRefused) {
  auto [client, server] = tcp_pair();
  auto r = registry().register_(server.get(), Token::reserved(), Interest::READABLE);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::reserved_token);
}

TEST_P(Registering, RegistryCopiesShareTheQueueAndOutliveThePoll) {
  poll::Registry copy = registry();
  EXPECT_EQ(copy.backend_name(), GetParam());
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(copy.register_(server.get(), Token(7), Interest::READABLE));
  send_all(client.get(), "x");
  EXPECT_TRUE(wait_for(Token(7)));
  ASSERT_TRUE(copy.deregister(server.get()));
}

TEST_P(Registering, SourceRegistersOnceAndDeregistersOnClose) {
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(server));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::READABLE));
  EXPECT_TRUE(source.registered());
  auto twice = registry().register_(source, Token(1), Interest::READABLE);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error(), std::errc::file_exists);
  ASSERT_TRUE(registry().reregister(source, Token(2), Interest::READABLE));
  const int fd = source.fd();
  ASSERT_TRUE(source.close());
  EXPECT_FALSE(source.registered());
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed
}

TEST_P(Registering, SourceIntoFdDeregistersAndKeepsTheFd) {
  auto [client, server] = tcp_pair();
  poll::Source source(std::move(server));
  ASSERT_TRUE(registry().register_(source, Token(1), Interest::READABLE));
  auto fd = source.into_fd();
  ASSERT_TRUE(fd);
  EXPECT_GE(::fcntl(fd->get(), F_GETFD), 0);  // still open
  send_all(client.get(), "x");
  expect_no_events();
  EXPECT_TRUE(registry().register_(fd->get(), Token(1), Interest::READABLE));  // free again
  EXPECT_TRUE(registry().deregister(fd->get()));
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(Registering);

TEST(BackendChoice, EveryCompiledBackendCanBeChosenByName) {
  ASSERT_FALSE(poll::backend_names().empty());
  for (auto name : poll::backend_names()) {
    auto p = poll::Poll::create({.backend = name});
    ASSERT_TRUE(p) << name << ": " << p.error().message();
    EXPECT_EQ(p->backend_name(), name);
  }
}

TEST(BackendChoice, AutoPicksTheFirstThatWorks) {
  auto p = poll::Poll::create({.backend = "auto"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->backend_name(), poll::backend_names().front());
}

TEST(BackendChoice, EnvironmentVariableChoosesWhenTheOptionIsEmpty) {
  const char* old = std::getenv("EVQ_BACKEND");
  const std::string saved = old ? old : "";
  ::setenv("EVQ_BACKEND", "poll", 1);
  auto p = poll::Poll::create();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->backend_name(), "poll");
  ::setenv("EVQ_BACKEND", "no-such-backend", 1);
  auto bad = poll::Poll::create();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), Errc::unknown_backend);
  EXPECT_NE(bad.error().message().find("backend"), std::string::npos);
  if (old) {
    ::setenv("EVQ_BACKEND", saved.c_str(), 1);
  } else {
    ::unsetenv("EVQ_BACKEND");
  }
}

TEST(BackendChoice, UnknownNameIsAClearError) {
  auto p = poll::Poll::create({.backend = "kqueue-on-linux"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), Errc::unknown_backend);
}

}  // namespace
}  // namespace evq::test
