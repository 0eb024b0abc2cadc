// A Runtime for a test, or an exception saying why there is none.
#pragma once

#include <system_error>

#include "evq/rt/runtime.hpp"

namespace evq::rt::test {

inline Runtime make_runtime() {
  auto rt = Runtime::create();
  if (!rt) throw std::system_error(rt.error());
  return std::move(*rt);
}

}  // namespace evq::rt::test
