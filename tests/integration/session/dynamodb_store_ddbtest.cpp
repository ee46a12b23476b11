// Sessions and carts on DynamoDB Local (MYCLOTHES_DYNAMODB_ENDPOINT / _TABLE, set by script/test): the same
// behaviour as mode redis — rotation, the caps under concurrent writes, the guest cart's merge, sliding
// expiry with expired items filtered on read (the store's clock is the test's), the cart's versions.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <map>
#include <random>

#include "contracts/cart_versions.hpp"
#include "dynamodb/client.hpp"
#include "integration/dynamodb/local_dynamodb.hpp"
#include "integration/io_loop_test.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

using namespace std::chrono_literals;

class DynamodbStoreTest : public testing::IoLoopTest {
 protected:
  void SetUp() override {
    auto local = dynamodb::testing::local_dynamodb();
    ASSERT_TRUE(local);
    client_ = dynamodb::make_client(io_, local->options);
    options_.table = local->table;
    options_.now_seconds = [this] { return clock_; };
  }

  std::unique_ptr<SessionStore> store() { return make_dynamodb_store(client_, options_); }

  std::int64_t clock_ = 1'800'000'000;
  std::shared_ptr<dynamodb::Client> client_;
  DynamodbSessionOptions options_;
};

std::map<std::string, int> as_map(const std::vector<CartLine>& lines) {
  std::map<std::string, int> m;
  for (const auto& l : lines) m[l.sku] = l.qty;
  return m;
}

TEST_F(DynamodbStoreTest, ACreatedSessionIsFoundAndARotatedOneIsGone) {
  auto st = store();
  auto s = run(st->create());
  EXPECT_TRUE(valid_id(s.id));
  auto found = run(st->find(s.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 0);
  EXPECT_FALSE(run(st->find(new_id())));
  EXPECT_FALSE(run(st->find("s#not-an-id")));

  auto user = run(st->rotate(s, 42));
  EXPECT_NE(user.id, s.id);
  EXPECT_FALSE(run(st->find(s.id))) << "the id known before login is worth nothing after it";
  auto as_user = run(st->find(user.id));
  ASSERT_TRUE(as_user);
  EXPECT_EQ(as_user->user_id, 42);
}

TEST_F(DynamodbStoreTest, AddsKeepTheLineLimitAndTheLineCount) {
  auto st = store();
  auto s = run(st->create());
  auto a = run(st->add(s, "P1-BLACK-M", 3, 5, 2));
  ASSERT_EQ(a.status, AddResult::Status::kAdded);
  EXPECT_EQ(a.qty, 3);
  auto over = run(st->add(s, "P1-BLACK-M", 3, 5, 2));
  EXPECT_EQ(over.status, AddResult::Status::kOverLimit);
  EXPECT_EQ(over.qty, 3);
  ASSERT_EQ(run(st->add(s, "P2-WHITE-S", 1, 5, 2)).status, AddResult::Status::kAdded);
  auto third = run(st->add(s, "P3-RED-L", 1, 5, 2));
  EXPECT_EQ(third.status, AddResult::Status::kTooManyLines);
  EXPECT_EQ(as_map(run(st->cart(s))), (std::map<std::string, int>{{"P1-BLACK-M", 3}, {"P2-WHITE-S", 1}}));

  ASSERT_TRUE(run(st->set(s, "P2-WHITE-S", 0)));
  ASSERT_TRUE(run(st->set(s, "P1-BLACK-M", 0)));
  EXPECT_TRUE(run(st->snapshot(s)).lines.empty());
  EXPECT_EQ(run(st->snapshot(s)).version, "");
}

TEST_F(DynamodbStoreTest, ConcurrentAddsNeverPassTheLimit) {
  auto st = store();
  auto s = run(st->create());
  constexpr int kAdders = 20;  // 20 × 10 against a limit of 99: exactly 9 fit
  int added = 0;
  int refused = 0;
  int finished = 0;
  for (int i = 0; i < kAdders; ++i) {
    boost::asio::co_spawn(
        io_,
        [&]() -> Task<void> {
          Session mine = s;
          auto r = co_await st->add(mine, "P1-BLACK-M", 10, 99, 50);
          (r.status == AddResult::Status::kAdded ? added : refused) += 1;
          ++finished;
        },
        boost::asio::detached);
  }
  pump([&] { return finished == kAdders; }, 30s);
  ASSERT_EQ(finished, kAdders);
  EXPECT_EQ(added, 9);
  EXPECT_EQ(refused, kAdders - 9);
  EXPECT_EQ(as_map(run(st->cart(s)))["P1-BLACK-M"], 90);
}

TEST_F(DynamodbStoreTest, TheGuestCartMergesIntoTheUsersCappedAtStock) {
  auto st = store();
  Session user_session{new_id(), 77'000 + static_cast<std::int64_t>(std::random_device{}() % 100000)};
  ASSERT_EQ(run(st->add(user_session, "P1-BLACK-M", 2, 10, 50)).status, AddResult::Status::kAdded);
  auto guest = run(st->create());
  ASSERT_EQ(run(st->add(guest, "P1-BLACK-M", 5, 10, 50)).status, AddResult::Status::kAdded);
  ASSERT_EQ(run(st->add(guest, "P2-WHITE-S", 1, 10, 50)).status, AddResult::Status::kAdded);
  ASSERT_EQ(run(st->add(guest, "GONE-SKU", 1, 10, 50)).status, AddResult::Status::kAdded);
  run(st->merge_into_user(guest, user_session.user_id, {{"P1-BLACK-M", 4}, {"P2-WHITE-S", 3}}));
  EXPECT_EQ(as_map(run(st->cart(user_session))), (std::map<std::string, int>{{"P1-BLACK-M", 4}, {"P2-WHITE-S", 1}}));
  EXPECT_TRUE(run(st->cart(guest)).empty()) << "the guest cart is gone";
}

TEST_F(DynamodbStoreTest, IdleItemsExpireOnReadAndUseRenewsThem) {
  options_.guest_ttl = 600s;
  auto st = store();
  auto kept = run(st->create());
  auto idle = run(st->create());
  ASSERT_EQ(run(st->add(kept, "P1-BLACK-M", 1, 5, 50)).status, AddResult::Status::kAdded);
  for (int i = 0; i < 3; ++i) {  // 900 s of activity on one session, none on the other
    clock_ += 300;
    ASSERT_TRUE(run(st->find(kept.id)));
    ASSERT_EQ(run(st->cart(kept)).size(), 1U);
  }
  EXPECT_FALSE(run(st->find(idle.id))) << "an idle session has expired (the item may still be there)";
  clock_ += 601;
  EXPECT_FALSE(run(st->find(kept.id)));
  EXPECT_TRUE(run(st->cart(kept)).empty()) << "its cart expires with it";
  auto fresh = run(st->add(kept, "P2-WHITE-S", 1, 5, 50));
  ASSERT_EQ(fresh.status, AddResult::Status::kAdded) << "an expired cart item still there is an empty cart";
  EXPECT_EQ(as_map(fresh.cart), (std::map<std::string, int>{{"P2-WHITE-S", 1}}));
}

TEST_F(DynamodbStoreTest, CartVersions) {
  auto st = store();
  auto s = run(st->create());
  contracts::expect_cart_versions(*st, s, [this](auto task) { return run(std::move(task)); });
}

TEST_F(DynamodbStoreTest, WithoutTheServerItIsUnavailableNotAnEmptyCart) {
  dynamodb::ClientOptions o;
  o.endpoint = *dynamodb::parse_endpoint("http://127.0.0.1:9", "us-east-1");
  o.attempt_timeout = 300ms;
  auto st = make_dynamodb_store(dynamodb::make_client(io_, o), options_);
  Session s{new_id(), 0};
  EXPECT_THROW(run(st->cart(s)), Unavailable);
  EXPECT_THROW(run(st->add(s, "P1-BLACK-M", 1, 5, 50)), Unavailable);
}

}  // namespace
}  // namespace mc::session
