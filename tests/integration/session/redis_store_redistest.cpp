// Sessions and carts in a live Redis (MYCLOTHES_REDIS_HOST/PORT, set by script/test).
#include <boost/asio/co_spawn.hpp>

#include <map>
#include "integration/redis/redis_fixture.hpp"

#include "contracts/cart_versions.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

using namespace std::chrono_literals;
using SessionStoreTest = redis::testing::RedisTest;
namespace net = boost::asio;

TEST_F(SessionStoreTest, ACreatedSessionIsFoundAndAnUnknownOneIsNot) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  auto s = run(store->create());
  EXPECT_TRUE(valid_id(s.id));
  EXPECT_EQ(s.user_id, 0);
  auto found = run(store->find(s.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, s.id);
  EXPECT_FALSE(run(store->find(new_id()))) << "a well-formed id nobody was given";
  EXPECT_FALSE(run(store->find("mc:sess:*"))) << "not an id at all";
}

TEST_F(SessionStoreTest, IdleSessionsAndCartsExpireAndUseRenewsThem) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  RedisSessionOptions short_lived;
  short_lived.guest_ttl = 1s;
  auto store = make_redis_store(c, short_lived);
  auto kept = run(store->create());
  auto idle = run(store->create());
  ASSERT_EQ(run(store->add(kept, "P1-BLACK-M", 1, 5, 50)).status, AddResult::Status::kAdded);
  for (int i = 0; i < 3; ++i) {  // 1.5 s of activity on one session, none on the other
    run_until([] { return false; }, 500ms);
    ASSERT_TRUE(run(store->find(kept.id)));
    ASSERT_EQ(run(store->cart(kept)).size(), 1u);
  }
  EXPECT_FALSE(run(store->find(idle.id))) << "an idle session expires";
  run_until([] { return false; }, 1200ms);
  EXPECT_FALSE(run(store->find(kept.id)));
  EXPECT_TRUE(run(store->cart(kept)).empty()) << "its cart expires with it";
}

TEST_F(SessionStoreTest, GuestCartsLiveThirtyDaysFromTheirLastUse) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  auto s = run(store->create());
  run(store->add(s, "P1-BLACK-M", 2, 10, 50));
  auto ttl = cmd(*c, {"PTTL", "mc:cart:s:" + s.id});
  ASSERT_TRUE(ttl);
  const auto thirty_days = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 30)).count();
  EXPECT_GT(ttl->integer, thirty_days - 60'000);
  EXPECT_LE(ttl->integer, thirty_days);
}

TEST_F(SessionStoreTest, ConcurrentAddsNeverPassTheLimit) {
  auto c = client();
  auto other = client();  // two connections, like two instances
  ASSERT_TRUE(run_until([&] { return c->connected() && other->connected(); }));
  auto a = make_redis_store(c);
  auto b = make_redis_store(other);
  auto s = run(a->create());
  int added = 0;
  int refused = 0;
  int done = 0;
  for (int i = 0; i < 200; ++i) {
    net::co_spawn(
        io_,
        [&, i]() -> Task<void> {
          auto r = co_await (i % 2 ? a : b)->add(s, "P9-NAVY-L", 1, 10, 50);
          (r.status == AddResult::Status::kAdded ? added : refused)++;
          ++done;
        },
        [](const std::exception_ptr& e) {
          if (e) std::rethrow_exception(e);
        });
  }
  ASSERT_TRUE(run_until([&] { return done == 200; }));
  EXPECT_EQ(added, 10);
  EXPECT_EQ(refused, 190);
  auto lines = run(a->cart(s));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].qty, 10);
}

TEST_F(SessionStoreTest, AnAddReturnsTheWholeCartAndRespectsTheLineCap) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  auto s = run(store->create());
  ASSERT_EQ(run(store->add(s, "P1-A-M", 1, 10, 2)).status, AddResult::Status::kAdded);
  auto second = run(store->add(s, "P2-B-M", 3, 10, 2));
  ASSERT_EQ(second.status, AddResult::Status::kAdded);
  EXPECT_EQ(second.qty, 3);
  EXPECT_EQ(second.cart.size(), 2u);
  EXPECT_EQ(run(store->add(s, "P3-C-M", 1, 10, 2)).status, AddResult::Status::kTooManyLines);
  EXPECT_EQ(run(store->add(s, "P2-B-M", 1, 10, 2)).qty, 4) << "an existing line may still grow";
  EXPECT_EQ(run(store->cart(s)).size(), 2u);
}

TEST_F(SessionStoreTest, SettingAQuantityAndRemovingALine) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  auto s = run(store->create());
  run(store->set(s, "P1-BLACK-M", 4));
  run(store->set(s, "P2-WHITE-S", 1));
  EXPECT_EQ(run(store->cart(s)).size(), 2u);
  run(store->set(s, "P1-BLACK-M", 0));
  auto lines = run(store->cart(s));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].sku, "P2-WHITE-S");
}

TEST_F(SessionStoreTest, EveryCartWriteIsANewVersionAndReadsKeepIt) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  auto s = run(store->create());
  contracts::expect_cart_versions(*store, s, [&](auto task) { return run(std::move(task)); });
  EXPECT_EQ(run(store->cart(s)).size(), 1U) << "the version field is not a line";
  // A user's cart gets a new version from a merge.
  const std::int64_t user = 880'000'000 + ::getpid();
  auto guest = run(store->create());
  run(store->set(guest, "P3-C-M", 1));
  Session as_user{guest.id, user};
  const auto before = run(store->snapshot(as_user)).version;
  run(store->merge_into_user(guest, user, {{"P3-C-M", 5}}));
  const auto merged = run(store->snapshot(as_user));
  EXPECT_EQ(merged.lines.size(), 1U);
  EXPECT_NE(merged.version, before);
  EXPECT_FALSE(merged.version.empty());
  cmd(*c, {"DEL", "mc:cart:u:" + std::to_string(user)});
}

TEST_F(SessionStoreTest, WithRedisAwayASessionIsAnErrorNotAnEmptyCart) {
  RedisConfig dead = config_;
  dead.port = 1;
  auto store = make_redis_store(client(dead));
  EXPECT_THROW(run(store->find(new_id())), Unavailable);
  EXPECT_THROW(run(store->create()), Unavailable);
}

}  // namespace
}  // namespace mc::session

namespace mc::session {
namespace {

TEST_F(SessionStoreTest, RotationGivesANewIdAndTheOldOneStopsWorking) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  auto guest = run(store->create());
  auto user = run(store->rotate(guest, 42));
  EXPECT_NE(user.id, guest.id);
  EXPECT_EQ(user.user_id, 42);
  EXPECT_FALSE(run(store->find(guest.id))) << "no fixation: the pre-login id is dead";
  auto found = run(store->find(user.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 42);
  auto out = run(store->rotate(user, 0));
  EXPECT_FALSE(run(store->find(user.id)));
  EXPECT_EQ(run(store->find(out.id))->user_id, 0);
}

TEST_F(SessionStoreTest, MergingAddsQuantitiesCapsThemAndEmptiesTheGuestCart) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = make_redis_store(c);
  const std::int64_t user_id = 900000 + ::getpid();
  Session account{"", user_id};
  run(store->set(account, "P1-BLACK-M", 2));
  run(store->set(account, "P3-RED-S", 1));
  auto guest = run(store->create());
  run(store->set(guest, "P1-BLACK-M", 3));
  run(store->set(guest, "P2-WHITE-L", 1));
  run(store->set(guest, "P9-GONE-M", 1));
  std::vector<CartLine> limits{{"P1-BLACK-M", 4}, {"P2-WHITE-L", 5}};  // P9 is no longer sold
  run(store->merge_into_user(guest, user_id, limits));
  auto lines = run(store->cart(account));
  std::map<std::string, int> by_sku;
  for (const auto& l : lines) by_sku[l.sku] = l.qty;
  EXPECT_EQ(by_sku["P1-BLACK-M"], 4) << "2 + 3 capped at 4";
  EXPECT_EQ(by_sku["P2-WHITE-L"], 1);
  EXPECT_EQ(by_sku["P3-RED-S"], 1);
  EXPECT_FALSE(by_sku.contains("P9-GONE-M"));
  EXPECT_TRUE(run(store->cart(guest)).empty());
  auto ttl = cmd(*c, {"PTTL", "mc:cart:u:" + std::to_string(user_id)});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 89LL * 24 * 3600 * 1000) << "an account's cart keeps 90 days";
  cmd(*c, {"DEL", "mc:cart:u:" + std::to_string(user_id)});
}

}  // namespace
}  // namespace mc::session
