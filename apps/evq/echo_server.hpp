#pragma once

#include "server.hpp"

namespace evq::app {

int run_echo_server(const ServerOptions& options);

}  // namespace evq::app
