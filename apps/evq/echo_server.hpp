#pragma once

#include "server.hpp"

namespace evq::app {

int run_echo_server(const ServerOptions& options);

// The frame size of one echo connection's task (see frame_size in server.hpp).
std::size_t echo_connection_frame_size();

}  // namespace evq::app
