#include "account/account.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "fakes/account_repository.hpp"
#include "fakes/login_limiter.hpp"
#include "unit/run_task.hpp"

namespace mc::account {
namespace {

using mc::testing::run;

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
    EXPECT_EQ(e->code, Error::Code::kInvalidInput);
  }
  auto r = valid();
  r.email = std::string(250, 'a') + "@b.co";
  EXPECT_TRUE(validate(r)) << "longer than 254 bytes";
}

TEST(Registration, PasswordsAreEightToOneHundredTwentyEightCharacters) {
  auto r = valid();
  r.password = "1234567";
  EXPECT_EQ(validate(r)->field, "password");
  r.password = "8 chars!";
  EXPECT_FALSE(validate(r));
  r.password = std::string(129, 'x');
  EXPECT_EQ(validate(r)->field, "password");
  r.password = "비밀번호";  // four characters, twelve bytes: too short
  EXPECT_EQ(validate(r)->field, "password");
  r.password = "비밀번호입니다요";  // eight characters
  EXPECT_FALSE(validate(r));
  std::string long_korean;
  for (int i = 0; i < 100; ++i) long_korean += "가";  // 100 characters, 300 bytes: within the limit
  r.password = long_korean;
  EXPECT_FALSE(validate(r));
}

TEST(Registration, TheMostCommonPasswordsAreRefused) {
  auto r = valid();
  for (const char* common : {"12345678", "password", "PASSWORD", "Password1", "qwerty123", "iloveyou", "myclothes"}) {
    r.password = common;
    const auto e = validate(r);
    ASSERT_TRUE(e) << common;
    EXPECT_EQ(e->field, "password") << common;
    EXPECT_NE(e->message.find("most common"), std::string::npos) << e->message;
  }
  r.password = "correct horse battery";
  EXPECT_FALSE(validate(r));
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

// AccountService over fakes: what it stores, and how it consults the login limits.
class AccountServiceTest : public ::testing::Test {
 protected:
  User registered() {
    auto user = run(service_.register_user(valid()));
    EXPECT_TRUE(user);
    return *user;
  }
  Expected<User, Error> log_in(std::string email, std::string password, std::string client = "10.0.0.1") {
    return run(service_.authenticate(std::move(email), std::move(password), std::move(client)));
  }

  std::unique_ptr<fakes::AccountRepository> owned_users_ = std::make_unique<fakes::AccountRepository>();
  fakes::AccountRepository& users_ = *owned_users_;
  std::unique_ptr<fakes::LoginLimiter> owned_limiter_ = std::make_unique<fakes::LoginLimiter>();
  fakes::LoginLimiter& limiter_ = *owned_limiter_;
  AccountService service_{std::move(owned_users_), std::move(owned_limiter_)};
};

TEST_F(AccountServiceTest, ARegistrationKeepsOnlyAHashAndLogsInWithAnyCapitalisation) {
  auto r = valid();
  r.email = "  Kim@Example.com ";
  auto user = run(service_.register_user(r));
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->email, "Kim@Example.com");
  EXPECT_TRUE(users_.users.at(user->id).password_hash.starts_with("$argon2id$"));
  auto in = log_in("KIM@example.com", "correct horse");
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->id, user->id);
  EXPECT_EQ(in->name, "김민지");
  EXPECT_EQ(run(service_.find(user->id))->email, "Kim@Example.com");
}

TEST_F(AccountServiceTest, AnInvalidOrTakenRegistrationWritesNothing) {
  auto bad = valid();
  bad.password = "short";
  EXPECT_EQ(run(service_.register_user(bad)).error().field, "password");
  EXPECT_EQ(users_.writes, 0);
  registered();
  auto again = valid();
  again.email = "KIM@example.com";
  auto taken = run(service_.register_user(again));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Error::Code::kEmailTaken);
  EXPECT_EQ(taken.error().field, "email");
  EXPECT_EQ(users_.writes, 1);
}

TEST_F(AccountServiceTest, FailuresCountAgainstTheAccountWhateverItsCaseAndALoginForgetsThem) {
  registered();
  EXPECT_EQ(log_in("KIM@example.com", "wrong horse").error().code, Error::Code::kInvalidCredentials);
  EXPECT_EQ(log_in("nobody@example.com", "wrong horse").error().code, Error::Code::kInvalidCredentials);
  EXPECT_EQ(limiter_.account_failures.at("kim@example.com"), 1);
  EXPECT_EQ(limiter_.account_failures.at("nobody@example.com"), 1) << "unknown emails are limited alike";
  ASSERT_TRUE(log_in("kim@example.com", "correct horse"));
  EXPECT_FALSE(limiter_.account_failures.contains("kim@example.com"));
  EXPECT_EQ(limiter_.client_attempts.at("10.0.0.1"), 3) << "every attempt counts for the client";
}

TEST_F(AccountServiceTest, ALockedAccountStopsTheGuesserButNotItsOwner) {
  registered();
  for (int i = 0; i < kAccountAttempts; ++i) {
    EXPECT_EQ(log_in("kim@example.com", "guess " + std::to_string(i), "10.6.6.6").error().code,
              Error::Code::kInvalidCredentials);
  }
  // The guesser waits, even with the right password; the owner, from a client that has not been guessing,
  // gets in (before: one shared lock for 15 minutes, for anyone who knew the email).
  auto guesser = log_in("kim@example.com", "correct horse", "10.6.6.6");
  ASSERT_FALSE(guesser);
  EXPECT_EQ(guesser.error().code, Error::Code::kTooManyAttempts);
  EXPECT_EQ(limiter_.account_failures.at("kim@example.com"), kAccountAttempts) << "a refused attempt is no failure";
  EXPECT_TRUE(log_in("kim@example.com", "correct horse", "10.1.2.3")) << "the owner is not locked out";
}

TEST_F(AccountServiceTest, ALockedAccountOrABusyClientWaitsEvenWithTheRightPassword) {
  registered();
  limiter_.account_failures["kim@example.com"] = kAccountAttempts;
  limiter_.pair_failures["kim@example.com|10.0.0.1"] = kLockedClientFailures;
  auto locked = log_in("Kim@example.com", "correct horse");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, Error::Code::kTooManyAttempts);
  EXPECT_EQ(limiter_.account_failures.at("kim@example.com"), kAccountAttempts) << "a refused attempt is no failure";
  limiter_.account_failures.clear();
  limiter_.client_attempts["10.0.0.9"] = kClientAttempts;
  EXPECT_EQ(log_in("kim@example.com", "correct horse", "10.0.0.9").error().code, Error::Code::kTooManyAttempts);
  EXPECT_TRUE(log_in("kim@example.com", "correct horse", "10.0.0.10")) << "another client is not limited";
}

}  // namespace
}  // namespace mc::account
