#pragma once

#include "server.hpp"

namespace evq::app {

struct DelayOptions : ServerOptions {
  std::uint64_t max_delay_s = 3600;
};

int run_delay_server(const DelayOptions& options);

}  // namespace evq::app
