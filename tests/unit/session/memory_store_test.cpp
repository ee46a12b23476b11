// Mode `sticky`: the in-memory store answers as the Redis store does, on an injected clock.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "contracts/cart_versions.hpp"
#include "core/metrics.hpp"
#include "session/session.hpp"
#include "unit/run_task.hpp"

namespace mc::session {
namespace {

using namespace std::chrono_literals;
using Status = AddResult::Status;

using mc::testing::run;

std::map<std::string, int> by_sku(const std::vector<CartLine>& lines) {
  std::map<std::string, int> out;
  for (const auto& l : lines) out[l.sku] = l.qty;
  return out;
}

double sessions_gauge() { return metrics::registry().gauge("myclothes_sessions_in_memory").value(); }

class MemoryStoreTest : public ::testing::Test {
 protected:
  MemorySessionOptions options(std::size_t max_sessions = 100, std::size_t max_user_carts = 100) {
    MemorySessionOptions o;
    o.guest_ttl = 10s;
    o.user_ttl = 20s;
    o.max_sessions = max_sessions;
    o.max_user_carts = max_user_carts;
    o.now = [this] { return now_; };
    return o;
  }

  void advance(std::chrono::seconds d) { now_ += d; }

  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point{} + 1000h;
  std::shared_ptr<SessionStore> store_ = make_memory_store(options());
};

TEST_F(MemoryStoreTest, ACreatedSessionIsFoundAndAnUnknownOneIsNot) {
  auto s = run(store_->create());
  EXPECT_TRUE(valid_id(s.id));
  EXPECT_EQ(s.user_id, 0);
  auto found = run(store_->find(s.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, s.id);
  EXPECT_EQ(found->user_id, 0);
  EXPECT_NE(run(store_->create()).id, s.id);
}

TEST_F(MemoryStoreTest, UnknownForgedAndMalformedIdsAreNoSession) {
  auto s = run(store_->create());
  EXPECT_FALSE(run(store_->find(new_id()))) << "a well-formed id nobody was given";
  EXPECT_FALSE(run(store_->find("mc:sess:*"))) << "not an id at all";
  EXPECT_FALSE(run(store_->find("")));
  EXPECT_FALSE(run(store_->find(s.id.substr(0, 42))));
  EXPECT_FALSE(run(store_->find(s.id + "A")));
}

TEST_F(MemoryStoreTest, AnAddStaysWithinTheLimitAndReturnsTheWholeCart) {
  auto s = run(store_->create());
  auto first = run(store_->add(s, "P1-BLACK-M", 2, 5, 50));
  EXPECT_EQ(first.status, Status::kAdded);
  EXPECT_EQ(first.qty, 2);
  ASSERT_EQ(first.cart.size(), 1u);
  EXPECT_EQ(first.cart[0].sku, "P1-BLACK-M");
  EXPECT_EQ(first.cart[0].qty, 2);

  auto over = run(store_->add(s, "P1-BLACK-M", 4, 5, 50));
  EXPECT_EQ(over.status, Status::kOverLimit);
  EXPECT_EQ(over.qty, 2) << "the quantity as it stays";
  EXPECT_TRUE(over.cart.empty());
  EXPECT_EQ(by_sku(run(store_->cart(s)))["P1-BLACK-M"], 2) << "nothing changed";

  auto up_to = run(store_->add(s, "P1-BLACK-M", 3, 5, 50));
  EXPECT_EQ(up_to.status, Status::kAdded);
  EXPECT_EQ(up_to.qty, 5) << "exactly the limit is allowed";

  auto second = run(store_->add(s, "P2-WHITE-S", 1, 5, 50));
  ASSERT_EQ(second.cart.size(), 2u);
  EXPECT_EQ(second.cart[0].sku, "P1-BLACK-M") << "lines keep the order they were added in";
  EXPECT_EQ(second.cart[1].sku, "P2-WHITE-S");
}

TEST_F(MemoryStoreTest, ANewLineBeyondTheMostLinesIsRefused) {
  auto s = run(store_->create());
  ASSERT_EQ(run(store_->add(s, "P1-A-M", 1, 10, 2)).status, Status::kAdded);
  auto second = run(store_->add(s, "P2-B-M", 3, 10, 2));
  ASSERT_EQ(second.status, Status::kAdded);
  EXPECT_EQ(second.qty, 3);
  EXPECT_EQ(second.cart.size(), 2u);
  auto third = run(store_->add(s, "P3-C-M", 1, 10, 2));
  EXPECT_EQ(third.status, Status::kTooManyLines);
  EXPECT_EQ(third.qty, 0);
  EXPECT_EQ(run(store_->add(s, "P2-B-M", 1, 10, 2)).qty, 4) << "an existing line may still grow";
  EXPECT_EQ(run(store_->cart(s)).size(), 2u);
}

TEST_F(MemoryStoreTest, SettingAQuantityAndRemovingALine) {
  auto s = run(store_->create());
  EXPECT_TRUE(run(store_->set(s, "P1-BLACK-M", 4)));
  EXPECT_TRUE(run(store_->set(s, "P2-WHITE-S", 1)));
  EXPECT_TRUE(run(store_->set(s, "P1-BLACK-M", 7)));
  auto lines = run(store_->cart(s));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].sku, "P1-BLACK-M");
  EXPECT_EQ(lines[0].qty, 7);
  EXPECT_TRUE(run(store_->set(s, "P1-BLACK-M", 0)));
  EXPECT_TRUE(run(store_->set(s, "P9-NEVER-M", 0))) << "removing a line that is not there changes nothing";
  lines = run(store_->cart(s));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].sku, "P2-WHITE-S");
  EXPECT_TRUE(run(store_->set(s, "P2-WHITE-S", 0)));
  EXPECT_TRUE(run(store_->cart(s)).empty());
  EXPECT_TRUE(run(store_->find(s.id))) << "an empty cart leaves the session";
}

TEST_F(MemoryStoreTest, ClearingACartEmptiesItAndKeepsTheSession) {
  auto s = run(store_->create());
  run(store_->add(s, "P1-BLACK-M", 2, 10, 50));
  run(store_->add(s, "P2-WHITE-S", 1, 10, 50));
  run(store_->clear_cart(s));
  EXPECT_TRUE(run(store_->cart(s)).empty());
  EXPECT_TRUE(run(store_->find(s.id)));

  Session user{"", 42};
  run(store_->set(user, "P1-BLACK-M", 1));
  run(store_->clear_cart(user));
  EXPECT_TRUE(run(store_->cart(user)).empty());
}

TEST_F(MemoryStoreTest, GuestCartsBelongToTheSessionAndUserCartsToTheUser) {
  auto a = run(store_->create());
  auto b = run(store_->create());
  run(store_->add(a, "P1-BLACK-M", 1, 10, 50));
  EXPECT_TRUE(run(store_->cart(b)).empty());

  auto phone = run(store_->rotate(run(store_->create()), 42));
  auto laptop = run(store_->rotate(run(store_->create()), 42));
  run(store_->add(phone, "P2-WHITE-S", 2, 10, 50));
  EXPECT_EQ(by_sku(run(store_->cart(laptop)))["P2-WHITE-S"], 2) << "one cart for every session of the user";
  Session other_user{phone.id, 43};
  EXPECT_TRUE(run(store_->cart(other_user)).empty());
}

TEST_F(MemoryStoreTest, RotationGivesANewIdAndTheOldOneStopsWorking) {
  auto guest = run(store_->create());
  auto user = run(store_->rotate(guest, 42));
  EXPECT_NE(user.id, guest.id);
  EXPECT_TRUE(valid_id(user.id));
  EXPECT_EQ(user.user_id, 42);
  EXPECT_FALSE(run(store_->find(guest.id))) << "no fixation: the pre-login id is dead";
  auto found = run(store_->find(user.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 42);

  run(store_->add(user, "P1-BLACK-M", 1, 10, 50));
  auto out = run(store_->rotate(user, 0));
  EXPECT_FALSE(run(store_->find(user.id)));
  auto guest_again = run(store_->find(out.id));
  ASSERT_TRUE(guest_again);
  EXPECT_EQ(guest_again->user_id, 0);
  EXPECT_TRUE(run(store_->cart(*guest_again)).empty());
  EXPECT_EQ(run(store_->cart(Session{"", 42})).size(), 1u) << "the account's cart stays with the account";
}

TEST_F(MemoryStoreTest, RotatingAnUnknownSessionStillGivesANewOne) {
  auto fresh = run(store_->rotate(Session{new_id(), 0}, 7));
  EXPECT_EQ(run(store_->find(fresh.id))->user_id, 7);
}

TEST_F(MemoryStoreTest, MergingAddsQuantitiesCapsThemAndEmptiesTheGuestCart) {
  const std::int64_t user_id = 42;
  Session account{"", user_id};
  run(store_->set(account, "P1-BLACK-M", 2));
  run(store_->set(account, "P3-RED-S", 1));
  run(store_->set(account, "P8-OLD-L", 2));
  auto guest = run(store_->create());
  run(store_->set(guest, "P1-BLACK-M", 3));
  run(store_->set(guest, "P2-WHITE-L", 1));
  run(store_->set(guest, "P9-GONE-M", 1));
  run(store_->set(guest, "P8-OLD-L", 1));
  std::vector<CartLine> limits{{"P1-BLACK-M", 4}, {"P2-WHITE-L", 5}, {"P8-OLD-L", 0}};  // P9 is no longer sold
  run(store_->merge_into_user(guest, user_id, limits));

  auto lines = by_sku(run(store_->cart(account)));
  EXPECT_EQ(lines["P1-BLACK-M"], 4) << "2 + 3 capped at 4";
  EXPECT_EQ(lines["P2-WHITE-L"], 1);
  EXPECT_EQ(lines["P3-RED-S"], 1);
  EXPECT_EQ(lines["P8-OLD-L"], 2) << "a limit of 0 takes nothing from the guest and leaves the user's line";
  EXPECT_FALSE(lines.contains("P9-GONE-M"));
  EXPECT_TRUE(run(store_->cart(guest)).empty()) << "the guest cart is gone";
  EXPECT_TRUE(run(store_->find(guest.id))) << "merging leaves the session; the rotation that follows ends it";

  advance(15s);  // past the guest expiry, within the user's
  EXPECT_EQ(run(store_->cart(account)).size(), 4u) << "the account's cart keeps the user expiry";
}

TEST_F(MemoryStoreTest, MergingIntoAUserWithoutACartCreatesOne) {
  auto guest = run(store_->create());
  run(store_->set(guest, "P1-BLACK-M", 9));
  run(store_->merge_into_user(guest, 77, {{"P1-BLACK-M", 5}}));
  auto lines = run(store_->cart(Session{"", 77}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].qty, 5);
}

TEST_F(MemoryStoreTest, IdleSessionsAndCartsExpireAndUseRenewsThem) {
  auto kept = run(store_->create());
  auto idle = run(store_->create());
  ASSERT_EQ(run(store_->add(kept, "P1-BLACK-M", 1, 5, 50)).status, Status::kAdded);
  run(store_->add(idle, "P1-BLACK-M", 1, 5, 50));
  for (int i = 0; i < 3; ++i) {  // 18 s of activity on one session (ttl 10 s), none on the other
    advance(6s);
    ASSERT_TRUE(run(store_->find(kept.id)));
    ASSERT_EQ(run(store_->cart(kept)).size(), 1u);
  }
  EXPECT_FALSE(run(store_->find(idle.id))) << "an idle session expires";
  EXPECT_TRUE(run(store_->cart(idle)).empty()) << "and so does its cart";
  advance(10s);
  EXPECT_FALSE(run(store_->find(kept.id)));
  EXPECT_TRUE(run(store_->cart(kept)).empty()) << "its cart expires with it";
}

TEST_F(MemoryStoreTest, JustBeforeItsExpiryASessionIsStillThere) {
  auto s = run(store_->create());
  advance(9s);
  EXPECT_TRUE(run(store_->find(s.id)));
  advance(9s);
  EXPECT_TRUE(run(store_->find(s.id)));
  advance(10s);
  EXPECT_FALSE(run(store_->find(s.id)));
}

TEST_F(MemoryStoreTest, SessionAndCartEachHaveTheirOwnIdleClockAsInRedis) {
  auto s = run(store_->create());
  run(store_->add(s, "P1-BLACK-M", 1, 5, 50));
  for (int i = 0; i < 3; ++i) {
    advance(6s);
    ASSERT_TRUE(run(store_->find(s.id)));  // renews the session, not the cart
  }
  EXPECT_TRUE(run(store_->cart(s)).empty());
}

TEST_F(MemoryStoreTest, UserSessionsAndCartsKeepTheUserExpiry) {
  auto user = run(store_->rotate(run(store_->create()), 42));
  run(store_->add(user, "P1-BLACK-M", 1, 5, 50));
  advance(15s);  // past the guest expiry (10 s), within the user's (20 s)
  ASSERT_TRUE(run(store_->find(user.id)));
  EXPECT_EQ(run(store_->cart(user)).size(), 1u);
  advance(15s);
  ASSERT_TRUE(run(store_->find(user.id))) << "renewed 15 s ago with the user expiry";
  advance(21s);
  EXPECT_FALSE(run(store_->find(user.id)));
  EXPECT_TRUE(run(store_->cart(user)).empty());
}

TEST_F(MemoryStoreTest, PastTheMostSessionsTheLeastRecentlyUsedGoesWithItsCart) {
  auto store = make_memory_store(options(3));
  auto a = run(store->create());
  auto b = run(store->create());
  run(store->add(b, "P1-BLACK-M", 1, 5, 50));
  auto c = run(store->create());
  advance(1s);
  ASSERT_TRUE(run(store->find(a.id)));  // a is now used more recently than b and c
  EXPECT_EQ(sessions_gauge(), 3);
  auto d = run(store->create());
  EXPECT_EQ(sessions_gauge(), 3);
  EXPECT_TRUE(run(store->find(a.id))) << "touched: protected";
  EXPECT_FALSE(run(store->find(b.id))) << "the least recently used";
  EXPECT_TRUE(run(store->cart(b)).empty()) << "its guest cart went with it";
  EXPECT_TRUE(run(store->find(c.id)));
  EXPECT_TRUE(run(store->find(d.id)));
}

TEST_F(MemoryStoreTest, UsingACartProtectsItsSessionToo) {
  auto store = make_memory_store(options(3));
  auto a = run(store->create());
  auto b = run(store->create());
  auto c = run(store->create());
  run(store->add(a, "P1-BLACK-M", 1, 5, 50));  // a: the most recently used
  run(store->create());
  EXPECT_TRUE(run(store->find(a.id)));
  EXPECT_FALSE(run(store->find(b.id)));
  EXPECT_TRUE(run(store->find(c.id)));
}

TEST_F(MemoryStoreTest, PastTheMostUserCartsTheLeastRecentlyUsedGoes) {
  auto store = make_memory_store(options(100, 2));
  Session one{"", 1};
  Session two{"", 2};
  Session three{"", 3};
  run(store->set(one, "P1-BLACK-M", 1));
  run(store->set(two, "P1-BLACK-M", 2));
  ASSERT_EQ(run(store->cart(one)).size(), 1u);  // one is now used more recently than two
  run(store->set(three, "P1-BLACK-M", 3));
  EXPECT_EQ(run(store->cart(one)).size(), 1u);
  EXPECT_TRUE(run(store->cart(two)).empty());
  EXPECT_EQ(run(store->cart(three)).size(), 1u);
}

TEST_F(MemoryStoreTest, ExpiredSessionsLeaveMemoryLazily) {
  auto store = make_memory_store(options());
  run(store->create());
  run(store->create());
  EXPECT_EQ(sessions_gauge(), 2);
  advance(11s);
  auto s = run(store->create());
  EXPECT_EQ(sessions_gauge(), 1) << "the expired tail was purged by the next operation";
  EXPECT_TRUE(run(store->find(s.id)));
}

TEST_F(MemoryStoreTest, ConcurrentAddsFromManyThreadsNeverPassTheLimit) {
  auto store = make_memory_store(options());
  auto s = run(store->create());
  std::atomic<int> added = 0;
  std::atomic<int> refused = 0;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        Session mine = s;
        auto r = run(store->add(mine, "P9-NAVY-L", 1, 50, 50));
        (r.status == Status::kAdded ? added : refused)++;
        if (r.status == Status::kAdded && (r.qty < 1 || r.qty > 50)) ADD_FAILURE() << r.qty;
        if (i % 10 == 0) run(store->find(s.id));  // readers mixed in
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(added, 50);
  EXPECT_EQ(refused, 750);
  auto lines = run(store->cart(s));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].qty, 50);
}

TEST_F(MemoryStoreTest, EveryCartWriteIsANewVersionAndReadsKeepIt) {
  auto store = make_memory_store(options());
  auto s = run(store->create());
  contracts::expect_cart_versions(*store, s, [](auto task) { return run(std::move(task)); });
  auto other = make_memory_store(options());
  auto t = run(other->create());
  run(other->set(t, "P1-BLACK-M", 1));
  run(store->set(s, "P1-BLACK-M", 1));
  EXPECT_NE(run(other->snapshot(t)).version, run(store->snapshot(s)).version)
      << "another process (a restarted instance) never repeats a version";
}

}  // namespace
}  // namespace mc::session
