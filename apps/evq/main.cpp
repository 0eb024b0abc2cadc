// `evq`: the command line (DESIGN.md's contract). Subcommands so far: delay-server, echo-server.
#include <CLI/CLI.hpp>

#include "delay_server.hpp"
#include "echo_server.hpp"

namespace {

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
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--idle-timeout", o.idle_timeout_s,
                 "close a connection with no complete request for S seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--header-timeout", o.header_timeout_s, "a request head must arrive within S s")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
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
      ->capture_default_str();

  evq::app::ServerOptions echo;
  auto* echo_cmd = app.add_subcommand("echo-server", "TCP echo");
  add_server_flags(*echo_cmd, echo, 7000);

  CLI11_PARSE(app, argc, argv);
  if (*delay_cmd) return evq::app::run_delay_server(delay);
  return evq::app::run_echo_server(echo);
}
