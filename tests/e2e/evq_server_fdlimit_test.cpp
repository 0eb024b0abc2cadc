// Out of file descriptors: the server pauses accepting (no busy loop) and service resumes once
// fds are free. Its own binary, in the release tier only: UBSan's vptr check probes memory
// through a pipe, so in a process that is out of fds it reports false "invalid vptr" errors.
#include <thread>

#include "evq/poll/poll.hpp"
#include "server_client.hpp"

namespace evq::test {
namespace {

TEST_P(EvqServer, RunningOutOfFdsPausesAcceptingAndServiceResumes) {
  auto s = delay({"--quiet"}, 32);
  std::vector<int> hogs;
  for (int i = 0; i < 60; ++i) {
    const int fd = connect_to(s.port);  // completes in the backlog even when not accepted
    if (fd >= 0) hogs.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);  // the server hits EMFILE and pauses (no busy loop)
  for (int fd : hogs)
    ::close(fd);
  std::this_thread::sleep_for(300ms);
  auto r = get(s.port, "GET /0/back HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(r), "back") << r;
}

INSTANTIATE_TEST_SUITE_P(Backends, EvqServer, testing::ValuesIn(poll::backend_names()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace evq::test
