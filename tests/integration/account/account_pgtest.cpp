// Accounts against a real PostgreSQL (a scratch database) and Redis (the login attempt counters).
#include "account/account.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>

#include "db/database.hpp"
#include "db/migrate.hpp"
#include "integration/db/scratch_database.hpp"
#include "integration/io_loop_test.hpp"
#include "redis/client.hpp"

namespace mc::account {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class AccountTest : public testing::IoLoopTest {
 protected:
  void SetUp() override {
    auto admin = testing::primary_conninfo();
    ASSERT_TRUE(admin);
    db_ = std::make_unique<testing::ScratchDatabase>(*admin, "accounts");
    auto applied =
        db::migrate(db_->conninfo(), std::string(MYCLOTHES_SOURCE_DIR) + "/db/migrations", [](std::string_view) {});
    ASSERT_TRUE(applied) << applied.error();
    auto rc = test_redis();
    ASSERT_TRUE(rc);
    DbConfig dbc;
    dbc.primary = db_->conninfo();
    cluster_ = db::make_cluster(io_, dbc);
    redis_ = redis::make_client(io_, *rc);
    redis_->start();
    pump([&] { return redis_->connected(); });
    service_ = std::make_unique<AccountService>(make_pg_repository(*cluster_), make_redis_login_limiter(redis_));
    // Unique per run: the attempt counters live in the shared Redis.
    suffix_ = std::to_string(::getpid()) + "-" + std::to_string(Clock::now().time_since_epoch().count());
  }

  void TearDown() override {
    service_.reset();
    if (redis_) redis_->stop();
    if (cluster_) cluster_->close();
    drain();
  }

  std::string email(std::string_view who) { return std::string(who) + "-" + suffix_ + "@example.com"; }

  std::unique_ptr<testing::ScratchDatabase> db_;
  std::unique_ptr<db::Cluster> cluster_;
  std::shared_ptr<redis::Client> redis_;
  std::unique_ptr<AccountService> service_;
  std::string suffix_;
};

TEST_F(AccountTest, RegisterThenLogInWithAnyCapitalisation) {
  auto user = run(service_->register_user(Registration{email("Kim"), "correct horse", "김민지"}));
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_GT(user->id, 0);
  EXPECT_EQ(user->name, "김민지");
  std::string upper = email("KIM");
  auto in = run(service_->authenticate(upper, "correct horse", "10.0.0.1"));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->id, user->id);
  auto found = run(service_->find(user->id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->email, email("Kim"));
  // Only a hash is stored.
  auto conn = testing::connect_or_throw(db_->conninfo());
  auto row = conn.exec("SELECT password_hash FROM users WHERE id = $1::bigint", {std::to_string(user->id)});
  EXPECT_TRUE(std::string(row.text(0, 0)).starts_with("$argon2id$"));
}

TEST_F(AccountTest, AnEmailRegistersOnce) {
  ASSERT_TRUE(run(service_->register_user(Registration{email("lee"), "password-1", "Lee"})));
  auto again = run(service_->register_user(Registration{email("LEE"), "password-2", "Lee Two"}));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Error::Code::kEmailTaken);
  auto bad = run(service_->register_user(Registration{"not-an-email", "password-1", "X"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "email");
}

TEST_F(AccountTest, UnknownEmailAndWrongPasswordGetTheSameAnswer) {
  ASSERT_TRUE(run(service_->register_user(Registration{email("park"), "correct horse", "Park"})));
  auto wrong = run(service_->authenticate(email("park"), "wrong horse", "10.0.0.2"));
  auto unknown = run(service_->authenticate(email("nobody"), "wrong horse", "10.0.0.2"));
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, Error::Code::kInvalidCredentials);
  EXPECT_EQ(unknown.error().code, wrong.error().code);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(AccountTest, ALockedAccountStopsItsGuessersButLetsItsOwnerIn) {
  ASSERT_TRUE(run(service_->register_user(Registration{email("choi"), "correct horse", "Choi"})));
  const std::string guesser = "10.0.1." + std::to_string(::getpid() % 250);
  for (int i = 0; i < kAccountAttempts; ++i) {
    auto r = run(service_->authenticate(email("choi"), "guess " + std::to_string(i), guesser));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Error::Code::kInvalidCredentials);
  }
  auto locked = run(service_->authenticate(email("choi"), "correct horse", guesser));
  ASSERT_FALSE(locked) << "the guesser waits, even with the right password";
  EXPECT_EQ(locked.error().code, Error::Code::kTooManyAttempts);
  auto owner =
      run(service_->authenticate(email("choi"), "correct horse", "10.0.2." + std::to_string(::getpid() % 250)));
  EXPECT_TRUE(owner) << "a client that has not been guessing gets in (before: locked out for 15 minutes)";
}

TEST_F(AccountTest, OneClientCannotTryManyAccounts) {
  const std::string client = "10.9.9." + std::to_string(::getpid() % 250);
  std::vector<std::string> args{"DEL", "mc:rl:login:client:" + client};
  run(redis_->command(std::move(args)));
  int refused = 0;
  for (int i = 0; i < kClientAttempts + 2; ++i) {
    auto r = run(service_->authenticate(email("spray" + std::to_string(i)), "guess", client));
    if (!r && r.error().code == Error::Code::kTooManyAttempts) ++refused;
  }
  EXPECT_EQ(refused, 2);
}

}  // namespace
}  // namespace mc::account
