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

}  // namespace
}  // namespace mc::cache
