// What each kind of source reports: TCP, UDP, Unix sockets and pipes; closes, resets, errors.
#include <unistd.h>

#include "util.hpp"

namespace evq::test {
namespace {

class Readiness : public PollTest {};

TEST_P(Readiness, TcpReadableAfterDataArrives) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  expect_no_events();
  send_all(client.get(), "hello");
  const auto flags = wait_for(Token(1));
  EXPECT_TRUE(flags & Event::kReadable);
  EXPECT_FALSE(flags & Event::kReadClosed);
  EXPECT_FALSE(flags & Event::kError);
}

TEST_P(Readiness, TcpWritableAfterConnect) {
  sys::Fd listener = tcp_listener();
  auto addr = sys::local_addr(listener.get());
  ASSERT_TRUE(addr);
  auto client = sys::connect_to(*addr);
  ASSERT_TRUE(client) << client.error().message();
  ASSERT_TRUE(registry().register_(client->get(), Token(3), Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(3)) & Event::kWritable);
  auto err = sys::socket_error(client->get());
  ASSERT_TRUE(err);
  EXPECT_FALSE(*err) << err->message();
}

TEST_P(Readiness, ReadClosedOnPeerShutdownWrite) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::READABLE));
  ASSERT_TRUE(sys::shutdown(client.get(), SHUT_WR));
  const auto flags = wait_for(Token(1));
  EXPECT_TRUE(flags & Event::kReadable);
  EXPECT_TRUE(flags & Event::kReadClosed);
  EXPECT_FALSE(flags & Event::kWriteClosed);  // our side may still write
}

TEST_P(Readiness, ErrorOrWriteClosedAfterPeerReset) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(
      registry().register_(server.get(), Token(1), Interest::READABLE | Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(1)) & Event::kWritable);
  ASSERT_TRUE(sys::set_linger_zero(client.get()));
  client.reset();  // RST
  std::uint32_t flags = wait_for(Token(1));
  EXPECT_TRUE(flags & (Event::kError | Event::kWriteClosed)) << flags;
  EXPECT_TRUE(flags & Event::kReadClosed) << flags;
}

TEST_P(Readiness, ErrorOnRefusedConnect) {
  // A port that was just free: nobody listens there.
  auto addr = [] {
    sys::Fd l = tcp_listener();
    return *sys::local_addr(l.get());
  }();
  auto client = sys::connect_to(addr);
  ASSERT_TRUE(client) << client.error().message();
  ASSERT_TRUE(registry().register_(client->get(), Token(1), Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(1)) & Event::kError);
  auto err = sys::socket_error(client->get());
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, std::errc::connection_refused) << err->message();
}

TEST_P(Readiness, ErrorAndHangUpAreReportedWithoutBeingAskedFor) {
  auto [client, server] = tcp_pair();
  // Only priority data asked for: nothing about reads, writes, errors or closes.
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::PRIORITY));
  ASSERT_TRUE(sys::set_linger_zero(client.get()));
  client.reset();
  const auto flags = wait_for(Token(1));
  EXPECT_TRUE(flags & (Event::kError | Event::kReadClosed | Event::kWriteClosed)) << flags;
}

TEST_P(Readiness, PriorityOnOutOfBandData) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(registry().register_(server.get(), Token(1), Interest::PRIORITY));
  ASSERT_TRUE(sys::send(client.get(), sys::bytes("!"), MSG_OOB));
  EXPECT_TRUE(wait_for(Token(1)) & Event::kPriority);
}

TEST_P(Readiness, UdpReadableAfterDatagram) {
  auto a = sys::socket(AF_INET, SOCK_DGRAM);
  auto b = sys::socket(AF_INET, SOCK_DGRAM);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(sys::bind(a->get(), *sys::SocketAddr::parse("127.0.0.1:0")));
  auto to = sys::local_addr(a->get());
  ASSERT_TRUE(registry().register_(a->get(), Token(5), Interest::READABLE));
  ASSERT_TRUE(registry().register_(b->get(), Token(6), Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(6)) & Event::kWritable);  // an unconnected UDP socket can send
  ASSERT_TRUE(sys::send_to(b->get(), sys::bytes("ping"), *to));
  EXPECT_TRUE(wait_for(Token(5)) & Event::kReadable);
  std::byte buf[16];
  auto got = sys::recv_from(a->get(), buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, 4u);
  EXPECT_EQ(got->second.port(), sys::local_addr(b->get())->port());
}

TEST_P(Readiness, UnixStreamReadableAndReadClosed) {
  auto pair = sys::socketpair(SOCK_STREAM);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(registry().register_(pair->first.get(), Token(1), Interest::READABLE));
  send_all(pair->second.get(), "over unix");
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadable);
  pair->second.reset();
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadClosed);
}

TEST_P(Readiness, UnixListenerReadableWhenAClientConnects) {
  const std::string path = testing::TempDir() + "evq-poll-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  auto addr = sys::SocketAddr::unix_path(path);
  ASSERT_TRUE(addr);
  auto listener = sys::listen_on(*addr);
  ASSERT_TRUE(listener) << listener.error().message();
  ASSERT_TRUE(registry().register_(listener->get(), Token(1), Interest::READABLE));
  auto client = sys::connect_to(*addr);
  ASSERT_TRUE(client) << client.error().message();
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadable);
  EXPECT_TRUE(sys::accept(listener->get()));
  ::unlink(path.c_str());
}

TEST_P(Readiness, PipeReadableThenReadClosedWhenWriterCloses) {
  auto ends = sys::pipe();
  ASSERT_TRUE(ends);
  auto& [reader, writer] = *ends;
  ASSERT_TRUE(registry().register_(reader.get(), Token(1), Interest::READABLE));
  ASSERT_TRUE(sys::write(writer.get(), "abc", 3));
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadable);
  writer.reset();
  EXPECT_TRUE(wait_for(Token(1)) & Event::kReadClosed);
}

TEST_P(Readiness, PipeWriterSeesErrorWhenReaderCloses) {
  auto ends = sys::pipe();
  ASSERT_TRUE(ends);
  auto& [reader, writer] = *ends;
  ASSERT_TRUE(registry().register_(writer.get(), Token(2), Interest::WRITABLE));
  EXPECT_TRUE(wait_for(Token(2)) & Event::kWritable);
  reader.reset();
  // Only EPOLLERR/POLLERR tells a pipe's writer (tokio #2218); evq reports it as write_closed.
  const auto flags = wait_for(Token(2));
  EXPECT_TRUE(flags & Event::kError) << flags;
  EXPECT_TRUE(flags & Event::kWriteClosed) << flags;
}

EVQ_INSTANTIATE_FOR_EVERY_BACKEND(Readiness);

}  // namespace
}  // namespace evq::test
