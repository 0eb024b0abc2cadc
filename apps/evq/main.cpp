// `evq`: the command line (DESIGN.md's contract). Subcommands so far: delay-server, echo-server.
#include <CLI/CLI.hpp>

#include <cmath>
#include <string>

#include "delay_server.hpp"
#include "echo_server.hpp"

namespace {

// The longest time any option takes, in seconds (about 31 years): larger values would overflow
// the millisecond arithmetic behind them.
constexpr double kMaxSeconds = 1e9;

// A number of seconds, finite and in range (CLI11's own number checks let "nan" through).
CLI::Validator seconds(bool zero_ok) {
  return CLI::Validator(
      [zero_ok](std::string& in) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(in, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != in.size() || !std::isfinite(v) || v < 0 || (v == 0 && !zero_ok) ||
            v > kMaxSeconds) {
          return "expected seconds, " + std::string(zero_ok ? "0" : "more than 0") +
                 " to 1e9: " + in;
        }
        return {};
      },
      "SECONDS");
}

void add_server_flags(CLI::App& cmd, evq::app::ServerOptions& o, std::uint16_t default_port) {
  o.port = default_port;
  cmd.add_option("HOST", o.host, "address to bind")->capture_default_str();
  cmd.add_option("--port", o.port, "port; 0 picks a free one")->capture_default_str();
  cmd.add_option("--strategy", o.strategy,
                 "coroutine: C++20 coroutines on evq::rt (the only one implemented so far)")
      ->capture_default_str();
  cmd.add_option("--backend", o.backend, "auto, epoll or poll (default: EVQ_BACKEND, else auto)");
  cmd.add_option("--threads", o.threads,
                 "N share-nothing event loops, one per thread, each with its own SO_REUSEPORT "
                 "listener")
      ->capture_default_str();
  cmd.add_option("--grace", o.grace_s, "seconds in-flight requests get after SIGTERM")
      ->capture_default_str()
      ->check(seconds(true));
  cmd.add_option("--idle-timeout", o.idle_timeout_s,
                 "close a connection with no complete request for S seconds")
      ->capture_default_str()
      ->check(seconds(false));
  cmd.add_option("--header-timeout", o.header_timeout_s, "a request head must arrive within S s")
      ->capture_default_str()
      ->check(seconds(false));
  cmd.add_flag("--quiet", o.quiet, "less on the console");
  cmd.add_flag("--verbose", o.verbose, "more on the console");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"evq: one event queue, every I/O strategy"};
  app.require_subcommand(1);

  evq::app::DelayOptions delay;
  auto* delay_cmd = app.add_subcommand(
      "delay-server", "HTTP: GET /{delay_ms}/{message} answers {message} after delay_ms ms");
  add_server_flags(*delay_cmd, delay, 8080);
  delay_cmd->add_option("--max-delay", delay.max_delay_s, "largest delay accepted, in seconds")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, static_cast<std::uint64_t>(kMaxSeconds)));

  evq::app::ServerOptions echo;
  auto* echo_cmd = app.add_subcommand("echo-server", "TCP echo");
  add_server_flags(*echo_cmd, echo, 7000);

  CLI11_PARSE(app, argc, argv);
  if (*delay_cmd) return evq::app::run_delay_server(delay);
  return evq::app::run_echo_server(echo);
}
