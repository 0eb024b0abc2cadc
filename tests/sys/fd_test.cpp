// sys::Fd owns one descriptor; every creator makes it close-on-exec and non-blocking.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "evq/sys/error.hpp"
#include "evq/sys/fd.hpp"
#include "evq/sys/socket.hpp"

namespace evq::sys {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}
bool cloexec(int fd) {
  return ::fcntl(fd, F_GETFD) & FD_CLOEXEC;
}
bool nonblocking(int fd) {
  return ::fcntl(fd, F_GETFL) & O_NONBLOCK;
}

TEST(Fd, ClosesOnDestruction) {
  int raw;
  {
    auto p = pipe();
    ASSERT_TRUE(p);
    raw = p->first.get();
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, MoveTransfersOwnership) {
  auto p = pipe();
  ASSERT_TRUE(p);
  const int raw = p->first.get();
  Fd a = std::move(p->first);
  EXPECT_FALSE(p->first.valid());
  EXPECT_EQ(a.get(), raw);
  Fd b;
  b = std::move(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(Fd, MoveAssignmentClosesWhatItHeld) {
  auto p = pipe();
  ASSERT_TRUE(p);
  const int first = p->first.get();
  p->first = std::move(p->second);
  EXPECT_FALSE(is_open(first));
}

TEST(Fd, ReleaseGivesUpOwnership) {
  auto p = pipe();
  ASSERT_TRUE(p);
  const int raw = p->first.release();
  p->first.reset();
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(Fd, CloseReportsTheErrorAndNamesTheOperation) {
  auto p = pipe();
  ASSERT_TRUE(p);
  ::close(p->first.get());  // behind its back
  auto r = p->first.close();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(r.error().message().rfind("close: ", 0), 0u) << r.error().message();
  EXPECT_FALSE(p->first.valid());
}

TEST(Fd, EveryCreatorIsCloseOnExecAndNonBlocking) {
  auto p = pipe();
  ASSERT_TRUE(p);
  auto s = socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s);
  auto u = socket(AF_INET6, SOCK_DGRAM);
  ASSERT_TRUE(u);
  auto sp = socketpair(SOCK_STREAM);
  ASSERT_TRUE(sp);
  auto d = dup(p->first.get());
  ASSERT_TRUE(d);
  auto l = listen_on(*SocketAddr::parse("127.0.0.1:0"));
  ASSERT_TRUE(l);
  auto c = connect_to(*local_addr(l->get()));
  ASSERT_TRUE(c);
  Result<std::pair<Fd, SocketAddr>> a = fail(std::error_code());
  for (int i = 0; i < 200 && !a; ++i) {
    a = accept(l->get());
    if (!a) ::usleep(5000);
  }
  ASSERT_TRUE(a) << a.error().message();
  for (int fd : {p->first.get(), p->second.get(), s->get(), u->get(), sp->first.get(),
                 sp->second.get(), d->get(), l->get(), c->get(), a->first.get()}) {
    EXPECT_TRUE(cloexec(fd)) << fd;
    EXPECT_TRUE(nonblocking(fd)) << fd;
  }
}

TEST(Fd, ReadAndWriteOnAPipe) {
  auto p = pipe();
  ASSERT_TRUE(p);
  char buf[8];
  auto empty = read(p->first.get(), buf, sizeof(buf));
  ASSERT_FALSE(empty);
  EXPECT_TRUE(is_would_block(empty.error()));
  ASSERT_EQ(write(p->second.get(), "abc", 3).value(), 3u);
  ASSERT_EQ(read(p->first.get(), buf, sizeof(buf)).value(), 3u);
  p->second.reset();
  ASSERT_EQ(read(p->first.get(), buf, sizeof(buf)).value(), 0u);  // EOF
}

}  // namespace
}  // namespace evq::sys
