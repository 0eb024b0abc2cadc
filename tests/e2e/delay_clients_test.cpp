// End to end: the delay_clients example (the book's first program, on evq::poll) against the
// real mini_delay_server, over loopback, once per compiled backend.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "child.hpp"
#include "evq/poll/poll.hpp"
#include "evq/sys/socket.hpp"

extern char** environ;

namespace {

using namespace evq::test;

std::string backend_name(const testing::TestParamInfo<std::string_view>& info) {
  return std::string(info.param);
}

// Runs delay_clients with `args` (the backend is added) and collects its output.
struct ClientRun {
  std::optional<int> status;
  std::string output;
  Clock::duration elapsed;
};
ClientRun run_clients(std::string_view backend, std::vector<std::string> args,
                      Clock::duration limit) {
  args.insert(args.begin(), {DELAY_CLIENTS, "--backend", std::string(backend)});
  const auto start = Clock::now();
  Child client(std::move(args));
  client.read_to_eof(start + limit);
  ClientRun run;
  run.status = client.wait(start + limit);
  run.elapsed = Clock::now() - start;
  run.output = client.output();
  return run;
}

// ---- against a running mini_delay_server ----

class DelayClientsTest : public testing::TestWithParam<std::string_view> {
 protected:
  void SetUp() override {
    server_.emplace(std::vector<std::string>{MINI_DELAY_SERVER, "--port", "0"});
    ASSERT_TRUE(server_->started());
    const bool listening = server_->read_until(
        [](const std::string& out) { return out.find('\n') != std::string::npos; },
        Clock::now() + 10s);
    std::smatch m;
    static const std::regex kListening(R"(^listening on (127\.0\.0\.1:[0-9]+)\n)");
    ASSERT_TRUE(listening && std::regex_search(server_->output(), m, kListening))
        << "mini_delay_server did not say where it listens:\n"
        << server_->output();
    address_ = m[1];
  }

  void TearDown() override {
    if (!server_ || !server_->started()) return;
    ::kill(server_->pid(), SIGTERM);
    const auto deadline = Clock::now() + 10s;
    server_->read_to_eof(deadline);
    const auto status = server_->wait(deadline);
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "mini_delay_server " << describe_status(status) << " after SIGTERM";
    if (HasFailure()) std::cerr << "--- mini_delay_server output:\n" << server_->output();
  }

  std::optional<Child> server_;
  std::string address_;  // 127.0.0.1:PORT
};

TEST_P(DelayClientsTest, ReceivesEveryResponseInReverseOrder) {
  const ClientRun run =
      run_clients(GetParam(), {"--connections", "5", "--unit-ms", "100", address_}, 10s);
  const std::string& out = run.output;
  SCOPED_TRACE("delay_clients output:\n" + out);

  ASSERT_TRUE(run.status) << "delay_clients did not finish within 10 s";
  EXPECT_TRUE(WIFEXITED(*run.status) && WEXITSTATUS(*run.status) == 0)
      << "delay_clients " << describe_status(run.status);
  EXPECT_TRUE(out.starts_with("Created connections... processing events\n"));
  EXPECT_TRUE(std::regex_search(out, std::regex(R"((^|\n)Processing: [0-9]+ events\n)")));

  // Request i waits (5 - i) * 100 ms: the answers come back 4, 3, 2, 1, 0.
  std::vector<std::size_t> at(5);
  for (std::size_t i = 0; i < 5; ++i) {
    const std::string line = "\nresponse " + std::to_string(i) + ": 200 OK, body \"request-" +
                             std::to_string(i) + "\"\n";
    at[i] = out.find(line);
    EXPECT_NE(at[i], std::string::npos) << "missing:" << line;
    EXPECT_NE(out.find("\nRECEIVED: connection " + std::to_string(i) + " ("), std::string::npos);
  }
  for (std::size_t i = 0; i + 1 < 5; ++i) {
    EXPECT_LT(at[i + 1], at[i]) << "response " << i + 1 << " should come before response " << i;
  }
  EXPECT_NE(out.find("\nAll 5 responses received\n"), std::string::npos);

  // The largest delay is 500 ms; all of them overlap, so the total stays close to that.
  EXPECT_GE(run.elapsed, 500ms);
  EXPECT_LT(run.elapsed, 5s);
}

INSTANTIATE_TEST_SUITE_P(Backends, DelayClientsTest, testing::ValuesIn(evq::poll::backend_names()),
                         backend_name);

// ---- against a port where nothing listens ----

class DelayClientsRefusedTest : public testing::TestWithParam<std::string_view> {};

TEST_P(DelayClientsRefusedTest, FailsWithAClearMessage) {
  // A bound socket that does not listen: connecting to its port is refused, and nothing else can
  // take the port while the test runs.
  auto any = evq::sys::SocketAddr::parse("127.0.0.1:0");
  ASSERT_TRUE(any);
  auto sock = evq::sys::socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(sock) << sock.error().message();
  ASSERT_TRUE(evq::sys::bind(sock->get(), *any));
  auto addr = evq::sys::local_addr(sock->get());
  ASSERT_TRUE(addr) << addr.error().message();

  const ClientRun run = run_clients(GetParam(), {"--unit-ms", "100", addr->to_string()}, 5s);
  SCOPED_TRACE("delay_clients output:\n" + run.output);
  ASSERT_TRUE(run.status) << "delay_clients did not finish within 5 s";
  EXPECT_TRUE(WIFEXITED(*run.status) && WEXITSTATUS(*run.status) != 0)
      << "delay_clients " << describe_status(run.status);
  EXPECT_NE(run.output.find("Connection refused"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, DelayClientsRefusedTest,
                         testing::ValuesIn(evq::poll::backend_names()), backend_name);

}  // namespace
