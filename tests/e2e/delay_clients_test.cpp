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

#include "evq/poll/poll.hpp"
#include "evq/sys/socket.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A child process whose stdout and stderr both go to one pipe we read.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = fds[0];
    if (rc != 0) {
      pid_ = -1;
      ADD_FAILURE() << "posix_spawn " << args[0] << ": " << std::strerror(rc);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& output() const { return output_; }

  // Reads output until `done(output())`, the end of the output, or the deadline.
  template <class Pred>
  bool read_until(Pred done, Clock::time_point deadline) {
    while (!done(output_)) {
      if (eof_ || !read_some(deadline)) return false;
    }
    return true;
  }
  bool read_to_eof(Clock::time_point deadline) {
    return read_until([&](const std::string&) { return eof_; }, deadline);
  }

  // Waits for the child to exit until the deadline, then kills it. The wait status, or nothing
  // if it had to be killed.
  std::optional<int> wait(Clock::time_point deadline) {
    if (pid_ <= 0) return std::nullopt;
    int status = 0;
    while (Clock::now() < deadline) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        pid_ = -1;
        return r < 0 ? std::nullopt : std::optional(status);
      }
      ::usleep(5000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return std::nullopt;
  }

 private:
  // One read, waiting at most until the deadline. False on timeout or error.
  bool read_some(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return false;
    pollfd p{out_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0) return errno == EINTR;
    if (r == 0) return false;
    char buf[4096];
    const ssize_t n = ::read(out_, buf, sizeof(buf));
    if (n < 0) return errno == EINTR;
    if (n == 0) eof_ = true;
    output_.append(buf, static_cast<std::size_t>(n > 0 ? n : 0));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  bool eof_ = false;
  std::string output_;
};

std::string describe_status(std::optional<int> status) {
  if (!status) return "did not exit in time";
  if (WIFEXITED(*status)) return "exited with " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

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
