#pragma once

#include "server.hpp"

namespace evq::app {

struct DelayOptions : ServerOptions {
  std::uint64_t max_delay_s = 3600;
};

int run_delay_server(const DelayOptions& options);

// The frame size of one delay connection's task (see frame_size in server.hpp).
std::size_t delay_connection_frame_size();

}  // namespace evq::app
