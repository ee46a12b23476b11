// Cart and session writes that wait for a replica (WAIT), against the replicated Redis the fixture starts
// itself (integration/redis/sentinel_fixture.hpp): confirmed with the replica up; with the replica hung a
// write fails with not_confirmed instead of passing for saved.
#include "core/metrics.hpp"
#include "integration/redis/sentinel_fixture.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

using SessionStoreWaitTest = redis::testing::SentinelTest;
using namespace std::chrono_literals;

std::uint64_t waits(const std::string& result) {
  return metrics::registry().counter("myclothes_redis_wait_total", {{"result", result}}).value();
}

RedisSessionOptions waiting_for_one() {
  RedisSessionOptions options;
  options.wait_replicas = 1;
  options.wait_timeout = 300ms;
  return options;
}

TEST_F(SessionStoreWaitTest, WritesAreConfirmedByTheReplica) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  auto store = make_redis_store(c, waiting_for_one());
  const auto ok = waits("ok");
  auto s = run(store->create());
  auto added = run(store->add(s, "P1-BLACK-M", 2, 5, 50));
  EXPECT_EQ(added.status, AddResult::Status::kAdded);
  EXPECT_TRUE(run(store->set(s, "P1-BLACK-M", 3)));
  auto user = run(store->rotate(s, 42));
  run(store->clear_cart(user));
  EXPECT_EQ(waits("ok"), ok + 5) << "create, add, set, rotate, clear: one WAIT each";
  EXPECT_FALSE(run(store->find(s.id))) << "rotation still removes the old session";
  EXPECT_TRUE(run(store->find(user.id)));
  // What the replica has is what the shopper was told.
  redis::testing::SyncRedis replica(redis::testing::kReplicaPort);
  auto u = replica.command({"HGET", "mc:sess:" + user.id, "u"});
  ASSERT_TRUE(u);
  EXPECT_EQ(u->str, "42");
}

TEST_F(SessionStoreWaitTest, AWriteTheReplicaDidNotConfirmFailsAsNotConfirmed) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  auto store = make_redis_store(c, waiting_for_one());
  auto s = run(store->create());
  ASSERT_EQ(run(store->add(s, "P1-BLACK-M", 1, 5, 50)).status, AddResult::Status::kAdded);
  const auto short_before = waits("short");

  pause_server("replica");  // alive to the primary (its link stays up), but acknowledging nothing
  try {
    run(store->add(s, "P1-BLACK-M", 1, 5, 50));
    ADD_FAILURE() << "an add no replica confirmed passed for saved";
  } catch (const NotConfirmed& e) {
    EXPECT_EQ(e.code(), "not_confirmed");
    EXPECT_EQ(e.client_message(), "Your change may not have been saved; please try again.");
    EXPECT_EQ(e.retry_after(), 1s);
  }
  EXPECT_THROW(run(store->set(s, "P1-BLACK-M", 4)), NotConfirmed);
  EXPECT_THROW(run(store->create()), NotConfirmed);
  // A read does not wait, and an add that changes nothing (over the limit) is not a write to confirm.
  EXPECT_NO_THROW(run(store->cart(s)));
  EXPECT_EQ(run(store->add(s, "P1-BLACK-M", 5, 5, 50)).status, AddResult::Status::kOverLimit);
  resume_server("replica");
  EXPECT_EQ(waits("short"), short_before + 3);

  // Back to normal once the replica answers again.
  EXPECT_TRUE(run(store->set(s, "P1-BLACK-M", 1)));
}

}  // namespace
}  // namespace mc::session
