// The cache store on a live Redis (MYCLOTHES_REDIS_HOST/PORT, set by script/test).
#include "../redis/redis_fixture.hpp"
#include "cache/cache.hpp"

namespace mc::cache {
namespace {

using namespace std::chrono_literals;
using RedisStoreTest = redis::testing::RedisTest;

TEST_F(RedisStoreTest, TheCacheStoreReadsWritesExpiresAndCounts) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = cache::make_redis_store(c);
  EXPECT_TRUE(store->available());
  EXPECT_FALSE(run(store->get(prefix_ + "doc")).has_value());
  run(store->set(prefix_ + "doc", "{\"id\":1}", 200ms));
  EXPECT_EQ(run(store->get(prefix_ + "doc")).value_or(""), "{\"id\":1}");
  auto pttl = cmd(*c, {"PTTL", prefix_ + "doc"});
  ASSERT_TRUE(pttl);
  EXPECT_GT(pttl->integer, 0);
  EXPECT_LE(pttl->integer, 200);
  run_until([] { return false; }, 300ms);
  EXPECT_FALSE(run(store->get(prefix_ + "doc")).has_value()) << "the TTL should have expired it";

  EXPECT_EQ(run(store->get_counter(prefix_ + "v")), 0);
  EXPECT_EQ(run(store->incr(prefix_ + "v")), 1);
  EXPECT_EQ(run(store->incr(prefix_ + "v")), 2);
  EXPECT_EQ(run(store->get_counter(prefix_ + "v")), 2);
  run(store->set(prefix_ + "a", "1", 10s));
  run(store->set(prefix_ + "b", "2", 10s));
  std::vector<std::string> keys{prefix_ + "a", prefix_ + "b", prefix_ + "v"};
  run(store->del(keys));
  EXPECT_FALSE(run(store->get(prefix_ + "a")).has_value());
  EXPECT_EQ(run(store->get_counter(prefix_ + "v")), 0);
}

TEST_F(RedisStoreTest, TheCacheStoreDegradesToMissesWhenRedisIsAway) {
  RedisConfig dead = config_;
  dead.port = 1;
  auto store = cache::make_redis_store(client(dead));
  EXPECT_FALSE(store->available());
  EXPECT_FALSE(run(store->get("k")).has_value());
  run(store->set("k", "v", 1s));  // a no-op, not an error
  EXPECT_EQ(run(store->incr("k")), 0);
}

TEST_F(RedisStoreTest, ManyValuesComeInOneReadAndAGuardedSetWaitsForNoWrite) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = cache::make_redis_store(c);
  run(store->set(prefix_ + "a", "1", 10s));
  std::vector<std::string> keys{prefix_ + "a", prefix_ + "missing"};
  auto values = run(store->get_many(keys));
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0].value_or(""), "1");
  EXPECT_FALSE((*values)[1]);

  // An absent counter counts as 0.
  run(store->set_unless_moved(prefix_ + "doc", "loaded-at-0", 10s, prefix_ + "version", 0));
  EXPECT_EQ(run(store->get(prefix_ + "doc")).value_or(""), "loaded-at-0");
  run(store->incr(prefix_ + "version"));
  run(store->set_unless_moved(prefix_ + "doc", "loaded-before-the-write", 10s, prefix_ + "version", 0));
  EXPECT_EQ(run(store->get(prefix_ + "doc")).value_or(""), "loaded-at-0") << "the version moved: not cached";
  run(store->set_unless_moved(prefix_ + "doc", "loaded-at-1", 10s, prefix_ + "version", 1));
  EXPECT_EQ(run(store->get(prefix_ + "doc")).value_or(""), "loaded-at-1");
  auto pttl = cmd(*c, {"PTTL", prefix_ + "doc"});
  ASSERT_TRUE(pttl);
  EXPECT_GT(pttl->integer, 0);
  std::vector<std::string> all{prefix_ + "a", prefix_ + "doc", prefix_ + "version"};
  run(store->del(all));
}

TEST_F(RedisStoreTest, ALockHasOneHolderAndOnlyItsHolderUnlocksIt) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = cache::make_redis_store(c);
  const std::string lock = prefix_ + "lock";
  EXPECT_EQ(run(store->try_lock(lock, "mine", 5s)), LockResult::kAcquired);
  EXPECT_EQ(run(store->try_lock(lock, "theirs", 5s)), LockResult::kBusy);
  run(store->unlock(lock, "theirs"));
  EXPECT_EQ(run(store->get(lock)).value_or(""), "mine") << "not theirs to delete";
  auto pttl = cmd(*c, {"PTTL", lock});
  ASSERT_TRUE(pttl);
  EXPECT_GT(pttl->integer, 0) << "a lock always expires";
  EXPECT_LE(pttl->integer, 5000);
  run(store->unlock(lock, "mine"));
  EXPECT_FALSE(run(store->get(lock)));
  EXPECT_EQ(run(store->try_lock(lock, "short", 50ms)), LockResult::kAcquired);
  run_until([] { return false; }, 120ms);
  EXPECT_EQ(run(store->try_lock(lock, "next", 5s)), LockResult::kAcquired) << "an expired lock is free";
  run(store->unlock(lock, "next"));
}

TEST_F(RedisStoreTest, APublishedWriteMovesTheVersionAndKeepsTheNewestDocument) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = cache::make_redis_store(c);
  auto publish = [&](std::string doc, std::string position) {
    return run(store->publish(
        Publication{prefix_ + "doc", std::move(doc), 10s, prefix_ + "version", prefix_ + "lsn", std::move(position)}));
  };
  EXPECT_TRUE(publish("at-2", "00000002000000A0"));
  EXPECT_EQ(run(store->get(prefix_ + "doc")).value_or(""), "at-2");
  EXPECT_EQ(run(store->get_counter(prefix_ + "version")), 1);
  EXPECT_EQ(run(store->get(prefix_ + "lsn")).value_or(""), "00000002000000A0");
  // Higher in the low half only, then lower in the high half: compared as numbers, not as text.
  EXPECT_TRUE(publish("at-2b", "00000002000000B0"));
  EXPECT_EQ(run(store->get(prefix_ + "doc")).value_or(""), "at-2b");
  EXPECT_TRUE(publish("late", "00000001FFFFFFFF"));
  EXPECT_FALSE(run(store->get(prefix_ + "doc"))) << "an older write published late leaves no document";
  EXPECT_EQ(run(store->get(prefix_ + "lsn")).value_or(""), "00000002000000B0") << "the position never goes back";
  EXPECT_EQ(run(store->get_counter(prefix_ + "version")), 3);
  EXPECT_TRUE(publish("same", "00000002000000B0"));
  EXPECT_FALSE(run(store->get(prefix_ + "doc"))) << "the same position: which document is newer cannot be told";
  std::vector<std::string> all{prefix_ + "doc", prefix_ + "version", prefix_ + "lsn"};
  run(store->del(all));
}

TEST_F(RedisStoreTest, APrefixKeepsEveryKeyInItsCorner) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto store = cache::make_redis_store(c, prefix_);
  run(store->set("k", "v", 10s));
  EXPECT_EQ(run(store->incr("n")), 1);
  EXPECT_EQ(run(store->try_lock("l", "t", 10s)), LockResult::kAcquired);
  auto raw = cmd(*c, {"MGET", prefix_ + "k", prefix_ + "n", prefix_ + "l", "k"});
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->elements.size(), 4u);
  EXPECT_EQ(raw->elements[0].str, "v");
  EXPECT_EQ(raw->elements[1].str, "1");
  EXPECT_EQ(raw->elements[2].str, "t");
  EXPECT_EQ(run(store->get("k")).value_or(""), "v");
  std::vector<std::string> all{"k", "n", "l"};
  run(store->del(all));
  EXPECT_FALSE(run(store->get("k")));
}

TEST_F(RedisStoreTest, WithRedisAwayThereIsNoLockAndAPublicationIsNotConfirmed) {
  RedisConfig dead = config_;
  dead.port = 1;
  auto store = cache::make_redis_store(client(dead));
  EXPECT_EQ(run(store->try_lock("l", "t", 1s)), LockResult::kUnavailable);
  EXPECT_FALSE(run(store->get_many(std::vector<std::string>{"a", "b"})));
  EXPECT_FALSE(run(store->publish(Publication{"d", "v", 1s, "v", "p", "0000000000000001"})));
  run(store->unlock("l", "t"));  // a no-op, not an error
}

}  // namespace
}  // namespace mc::cache
