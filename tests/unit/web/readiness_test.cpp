// /readyz: whether this instance can serve (ADR 15), judged from what it knows, and answered through OpsRoutes
// with a fake cluster in place of PostgreSQL.
#include "web/readiness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/config.hpp"
#include "fakes/cluster.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "unit/run_task.hpp"
#include "web/routes.hpp"

namespace mc::web {
namespace {

namespace json = boost::json;

struct Answer {
  int status;
  json::object body;
};

Answer judge(ReadinessChecks checks) {
  auto r = readiness_response(checks, "i-a1", "a");
  return {r.status, json::parse(r.body).as_object()};
}

TEST(Readiness, AllUpIsReady) {
  const auto a = judge({.draining = false, .postgres = true, .replicas = 2, .redis = true});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body.at("status").as_string(), "ready");
  EXPECT_EQ(a.body.at("checks").at("postgres").as_string(), "up");
  EXPECT_EQ(a.body.at("checks").at("replicas").as_int64(), 2);
  EXPECT_EQ(a.body.at("checks").at("redis").as_string(), "up");
  EXPECT_EQ(a.body.at("checks").at("draining").as_bool(), false);
  EXPECT_EQ(a.body.at("instance").as_string(), "i-a1");
  EXPECT_EQ(a.body.at("az").as_string(), "a");
}

TEST(Readiness, WithoutThePrimaryAReplicaOrRedisKeepsTheInstanceIn) {
  const auto replica = judge({.draining = false, .postgres = false, .replicas = 1, .redis = false});
  EXPECT_EQ(replica.status, 200) << "browsing still works from the replica";
  EXPECT_EQ(replica.body.at("status").as_string(), "degraded");
  EXPECT_EQ(replica.body.at("checks").at("postgres").as_string(), "down");
  EXPECT_EQ(replica.body.at("checks").at("replicas").as_int64(), 1);
  const auto redis = judge({.draining = false, .postgres = false, .replicas = 0, .redis = true});
  EXPECT_EQ(redis.status, 200) << "cached pages and the carts still work";
  EXPECT_EQ(redis.body.at("status").as_string(), "degraded");
  const auto no_redis = judge({.draining = false, .postgres = true, .replicas = 0, .redis = false});
  EXPECT_EQ(no_redis.status, 200);
  EXPECT_EQ(no_redis.body.at("status").as_string(), "degraded");
}

TEST(Readiness, NoDataAtAllOrDrainingIsNotReady) {
  const auto nothing = judge({.draining = false, .postgres = false, .replicas = 0, .redis = false});
  EXPECT_EQ(nothing.status, 503);
  EXPECT_EQ(nothing.body.at("status").as_string(), "not_ready");
  const auto draining = judge({.draining = true, .postgres = true, .replicas = 1, .redis = true});
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(draining.body.at("status").as_string(), "not_ready");
  EXPECT_EQ(draining.body.at("checks").at("draining").as_bool(), true);
}

TEST(Readiness, OpsRoutesAskTheClusterAndRedis) {
  ServerConfig server;
  server.instance_id = "i-b2";
  server.az = "b";
  http::Lifecycle lifecycle;
  fakes::Cluster cluster;
  cluster.primary_up = false;
  cluster.replicas_in_rotation = 1;
  bool redis = false;
  OpsRoutes ops(server, lifecycle, cluster, [&] { return redis; });
  http::Router router;
  ops.add_to(router);
  const auto get = [&] {
    http::Request req;
    req.target = "/readyz";
    const auto match = router.match(req);
    EXPECT_NE(match.handler, nullptr);
    auto r = testing::run((*match.handler)(req));
    return Answer{r.status, json::parse(r.body).as_object()};
  };

  auto a = get();
  EXPECT_EQ(a.status, 200) << "primary down, a replica up: degraded, still in the load balancer";
  EXPECT_EQ(a.body.at("status").as_string(), "degraded");
  EXPECT_EQ(a.body.at("checks").at("postgres").as_string(), "down");
  EXPECT_EQ(a.body.at("checks").at("replicas").as_int64(), 1);
  EXPECT_EQ(a.body.at("checks").at("redis").as_string(), "down");
  EXPECT_EQ(a.body.at("instance").as_string(), "i-b2");
  EXPECT_EQ(cluster.pings, 1);

  cluster.replicas_in_rotation = 0;
  EXPECT_EQ(get().status, 503) << "nothing left to serve from";
  redis = true;
  EXPECT_EQ(get().status, 200);
  cluster.primary_up = true;
  a = get();
  EXPECT_EQ(a.body.at("status").as_string(), "ready");
  lifecycle.draining = true;
  EXPECT_EQ(get().status, 503);
}

}  // namespace
}  // namespace mc::web
