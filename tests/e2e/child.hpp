// A child process for end-to-end tests: spawned with posix_spawn, its stdout and stderr read
// through one pipe, killed and reaped by PID when the test is done.
#pragma once

#include <dirent.h>
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
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace evq::test {

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
  // Sends `sig` to the child while it runs (never kill(-1, ...) once it was reaped).
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // Whether the child is still running (not exited; it is not reaped here).
  [[nodiscard]] bool running() const {
    if (pid_ <= 0) return false;
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
  }
  [[nodiscard]] const std::string& output() const { return output_; }

  // How many fds the child has open (from /proc), or -1 if it is gone.
  [[nodiscard]] int open_fds() const {
    DIR* d = ::opendir(("/proc/" + std::to_string(pid_) + "/fd").c_str());
    if (!d) return -1;
    int n = 0;
    while (const dirent* e = ::readdir(d))
      n += e->d_name[0] != '.';
    ::closedir(d);
    return n;
  }
  // The child's resident memory in KiB (VmRSS), or -1 if it is gone.
  [[nodiscard]] long rss_kib() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    return -1;
  }

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

// Polls `done()` every 10 ms until it holds (true) or the deadline passes (false).
template <class Pred>
bool wait_until(Pred done, Clock::time_point deadline) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string describe_status(std::optional<int> status) {
  if (!status) return "did not exit in time";
  if (WIFEXITED(*status)) return "exited with " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

}  // namespace evq::test
