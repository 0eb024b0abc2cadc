// OS errors are std::error_codes whose message names the operation and which compare equal to
// the portable std::errc conditions.
#include <gtest/gtest.h>

#include "evq/error.hpp"
#include "evq/sys/error.hpp"
#include "evq/sys/socket.hpp"

namespace evq::sys {
namespace {

TEST(OsError, MessageNamesTheOperationAndTheReason) {
  const auto ec = os_error(ECONNREFUSED, Op::connect);
  EXPECT_EQ(ec.message(), "connect: Connection refused");
  EXPECT_EQ(ec.value(), ECONNREFUSED);
  EXPECT_STREQ(ec.category().name(), "connect");
}

TEST(OsError, ComparesEqualToPortableConditions) {
  EXPECT_EQ(os_error(ECONNREFUSED, Op::connect), std::errc::connection_refused);
  EXPECT_EQ(os_error(EAGAIN, Op::recv), std::errc::resource_unavailable_try_again);
  EXPECT_NE(os_error(EAGAIN, Op::recv), std::errc::connection_refused);
}

TEST(OsError, WouldBlockIsRecognisedForEveryOperationAndNothingElse) {
  for (int op = 0; op < static_cast<int>(Op::count_); ++op) {
    EXPECT_TRUE(is_would_block(os_error(EAGAIN, static_cast<Op>(op)))) << op;
    EXPECT_FALSE(is_would_block(os_error(EINTR, static_cast<Op>(op)))) << op;
  }
  // Codes evq did not make are not guessed at.
  EXPECT_FALSE(is_would_block(std::error_code(EAGAIN, std::generic_category())));
  EXPECT_FALSE(is_would_block(std::error_code()));
}

TEST(OsError, UserCausedErrorsSayWhatToDo) {
  EXPECT_NE(os_error(EEXIST, Op::register_).message().find("use reregister"), std::string::npos);
  EXPECT_NE(os_error(EMFILE, Op::accept).message().find("ulimit"), std::string::npos);
}

TEST(OsError, RealFailureCarriesTheOperation) {
  auto fd = socket(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(fd);
  char buf[4];
  auto r = recv(fd->get(), std::as_writable_bytes(std::span(buf)));  // not connected
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().rfind("recv: ", 0), 0u) << r.error().message();
}

TEST(EvqError, MessagesAreClear) {
  EXPECT_NE(make_error_code(Errc::invalid_address).message().find("IPv4"), std::string::npos);
  EXPECT_STREQ(make_error_code(Errc::unknown_backend).category().name(), "evq");
}

}  // namespace
}  // namespace evq::sys
