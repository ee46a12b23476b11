#include "account/account.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace mc::account {
namespace {

Registration valid() { return Registration{"kim@example.com", "correct horse", "김민지"}; }

TEST(Registration, AValidOneHasNoError) { EXPECT_FALSE(validate(valid())); }

TEST(Registration, EmailsMustLookLikeEmails) {
  for (const char* bad : {"", "kim", "kim@", "@example.com", "kim@example", "kim@example.", "kim@.com",
                          "k m@example.com", "kim@@example.com", "kim@exa@mple.com", "<kim>@example.com"}) {
    auto r = valid();
    r.email = bad;
    auto e = validate(r);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->field, "email") << bad;
    EXPECT_EQ(e->status(), 422);
    EXPECT_EQ(e->api_code(), "invalid_input");
  }
  auto r = valid();
  r.email = std::string(250, 'a') + "@b.co";
  EXPECT_TRUE(validate(r)) << "longer than 254 bytes";
}

TEST(Registration, PasswordsAreEightToOneHundredTwentyEightBytes) {
  auto r = valid();
  r.password = "1234567";
  EXPECT_EQ(validate(r)->field, "password");
  r.password = "12345678";
  EXPECT_FALSE(validate(r));
  r.password = std::string(129, 'x');
  EXPECT_EQ(validate(r)->field, "password");
}

TEST(Registration, NamesCountCharactersNotBytes) {
  auto r = valid();
  r.name = "";
  EXPECT_EQ(validate(r)->field, "name");
  r.name = "   ";
  EXPECT_EQ(validate(r)->field, "name");
  r.name.clear();
  for (int i = 0; i < 100; ++i) r.name += "가";  // 300 bytes, 100 characters
  EXPECT_FALSE(validate(r));
  r.name += "가";
  EXPECT_EQ(validate(r)->field, "name");
}

TEST(Registration, EmailsAreTrimmed) { EXPECT_EQ(normalize_email("  Kim@Example.com \t"), "Kim@Example.com"); }

TEST(Errors, MapToTheApiCodes) {
  EXPECT_EQ((Error{Error::Code::kEmailTaken, "", ""}.status()), 409);
  EXPECT_EQ((Error{Error::Code::kEmailTaken, "", ""}.api_code()), "email_taken");
  EXPECT_EQ((Error{Error::Code::kInvalidCredentials, "", ""}.status()), 401);
  EXPECT_EQ((Error{Error::Code::kTooManyAttempts, "", ""}.api_code()), "too_many_attempts");
  EXPECT_EQ((Error{Error::Code::kTooManyAttempts, "", ""}.status()), 429);
}

TEST(Passwords, Argon2idHashesVerifyOnlyTheirOwnPassword) {
  boost::asio::io_context io;
  auto hashed = boost::asio::co_spawn(io, hash_password("correct horse"), boost::asio::use_future);
  io.run();
  const std::string encoded = hashed.get();
  EXPECT_TRUE(encoded.starts_with("$argon2id$")) << encoded;
  EXPECT_EQ(encoded.find("correct horse"), std::string::npos);
  io.restart();
  auto good = boost::asio::co_spawn(io, verify_password(encoded, "correct horse"), boost::asio::use_future);
  auto bad = boost::asio::co_spawn(io, verify_password(encoded, "correct horsf"), boost::asio::use_future);
  io.run();
  EXPECT_TRUE(good.get());
  EXPECT_FALSE(bad.get());
}

}  // namespace
}  // namespace mc::account
