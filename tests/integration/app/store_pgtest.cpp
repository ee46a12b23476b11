// The store's handlers wired as `myclothes serve` wires them, against a real seeded PostgreSQL and a real
// Redis (or a Redis that is not there): what a shopper and the load balancer see, minus the sockets.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "cache/cache.hpp"
#include "catalog/repository.hpp"
#include "catalog/seed.hpp"
#include "catalog/service.hpp"
#include "db/database.hpp"
#include "db/migrate.hpp"
#include "http/server.hpp"
#include "integration/io_loop_test.hpp"
#include "integration/seeded_database.hpp"
#include "redis/client.hpp"
#include "web/page_memo.hpp"
#include "web/site.hpp"
#include "web/templates.hpp"

namespace mc::web {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

class StoreTest : public testing::IoLoopTest {
 protected:
  static void SetUpTestSuite() { db_ = testing::seeded_database("store", 400); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }

  // Builds one worker. `redis_port` 0: the live test Redis; otherwise that port (1: nobody listens).
  void start(std::uint16_t redis_port = 0) {
    ASSERT_NE(db_, nullptr) << "no scratch database (see the first failure)";
    auto redis = test_redis();
    ASSERT_TRUE(redis);
    config_.db.primary = db_->conninfo();
    config_.redis = *redis;
    if (redis_port) config_.redis.port = redis_port;
    config_.server.instance_id = "test-1";
    config_.server.az = "b";
    cluster_ = db::make_cluster(io_, config_.db);
    redis_ = redis::make_client(io_, config_.redis);
    redis_->start();
    store_ = cache::make_redis_store(redis_);
    cache_ = std::make_unique<cache::CacheAside>(*store_, config_.cache.jitter);
    repository_ = catalog::make_pg_repository(*cluster_);
    catalog_ = std::make_unique<catalog::CatalogService>(*repository_, *cache_, config_.cache);
    auto templates = Templates::load(std::string(MYCLOTHES_SOURCE_DIR) + "/web/templates");
    ASSERT_TRUE(templates) << templates.error();
    site_ = Site{&config_,
                 "/static/app.css?v=test",
                 catalog_.get(),
                 cluster_.get(),
                 [r = redis_.get()] { return r->connected(); },
                 *templates,
                 std::make_shared<http::Lifecycle>(),
                 std::make_shared<PageMemo>()};
    router_ = make_router(site_);
    if (redis_port == 0) {
      pump([&] { return redis_->connected(); });
      ASSERT_TRUE(redis_->connected());
      // Each test reads its own products; whatever an earlier run cached for them goes first. (Tests run in
      // parallel against one Redis, so nothing wider is flushed.)
      std::vector<std::string> del{"DEL", "mc:product:1", "mc:product:2"};
      run(redis_->command(std::move(del)));
    }
  }

  void TearDown() override {
    router_.reset();
    if (redis_) redis_->stop();
    if (cluster_) cluster_->close();
    catalog_.reset();
    repository_.reset();
    drain();
  }

  http::Response get(const std::string& target) {
    http::Request req;
    req.method = http::Method::kGet;
    req.target = target;
    req.headers.push_back({"Accept-Language", "ko-KR,ko;q=0.9"});
    // One browser: the same form token every time, so equal pages are equal bytes.
    req.headers.push_back({"Cookie", "mc_csrf=" + std::string(43, 'T')});
    auto m = router_->match(req);
    if (m.handler == nullptr) throw std::runtime_error("no route for " + target);
    return run((*m.handler)(req));
  }

  static std::string header(const http::Response& r, std::string_view name) { return std::string(r.get(name)); }

  static testing::ScratchDatabase* db_;
  Config config_;
  std::unique_ptr<db::Cluster> cluster_;
  std::shared_ptr<redis::Client> redis_;
  std::unique_ptr<cache::Store> store_;
  std::unique_ptr<cache::CacheAside> cache_;
  std::unique_ptr<catalog::CatalogRepository> repository_;
  std::unique_ptr<catalog::CatalogService> catalog_;
  Site site_;
  std::shared_ptr<http::Router> router_;
};

testing::ScratchDatabase* StoreTest::db_ = nullptr;

TEST_F(StoreTest, AProductIsLoadedOnceThenServedFromTheCache) {
  start();
  auto first = get("/api/v1/products/1");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(header(first, "X-Cache"), "miss");
  EXPECT_EQ(header(first, "X-DB"), "primary") << "no replicas configured: reads go to the primary";
  auto second = get("/api/v1/products/1");
  EXPECT_EQ(header(second, "X-Cache"), "hit");
  EXPECT_EQ(header(second, "X-DB"), "none");
  EXPECT_EQ(second.body, first.body);
  auto doc = boost::json::parse(second.body).as_object();
  EXPECT_EQ(doc.at("id").as_int64(), 1);
  EXPECT_EQ(doc.at("currency").as_string(), "KRW");
}

TEST_F(StoreTest, APageShowsTheNewPriceAsSoonAsTheCachedDocumentChanges) {
  start();
  auto doc = boost::json::parse(get("/api/v1/products/2").body).as_object();
  const std::string slug(doc.at("slug").as_string());
  auto before = get("/p/" + slug);
  ASSERT_EQ(before.status, 200);
  EXPECT_NE(before.body.find("lang=\"ko\""), std::string::npos) << "Accept-Language chose Korean";
  EXPECT_NE(before.body.find("<span class=\"tool-label\">로그인</span>"), std::string::npos)
      << "a guest is offered to log in";
  EXPECT_NE(before.body.find("<span class=\"cart-badge\" aria-label=\"장바구니: 0\">0</span>"), std::string::npos);
  EXPECT_NE(before.body.find("name=\"csrf\" value=\"" + std::string(43, 'T') + "\""), std::string::npos)
      << "the form carries the browser's token";
  // A catalog write, as the admin API will make it: the row changes, then the product's cache entry goes.
  auto conn = testing::connect_or_throw(db_->conninfo());
  conn.exec("UPDATE products SET price = 123450 WHERE id = 2");
  std::vector<std::string> del{"DEL", "mc:product:2"};
  run(redis_->command(std::move(del)));
  auto after = get("/p/" + slug);
  ASSERT_EQ(after.status, 200);
  EXPECT_NE(after.body.find("123,450"), std::string::npos) << "the remembered page must not be served";
  EXPECT_EQ(header(after, "X-Cache"), "miss");
  auto again = get("/p/" + slug);
  EXPECT_EQ(again.body, after.body);
  EXPECT_EQ(header(again, "X-Cache"), "hit");
}

TEST_F(StoreTest, WithoutRedisTheStoreServesFromPostgresAndSaysItIsDegraded) {
  start(/*redis_port=*/1);
  auto product = get("/api/v1/products/3");
  ASSERT_EQ(product.status, 200);
  EXPECT_EQ(header(product, "X-Cache"), "miss");
  EXPECT_EQ(header(product, "X-DB"), "primary");
  EXPECT_EQ(get("/api/v1/products/3").body, product.body);
  EXPECT_EQ(get("/").status, 200);
  auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 200) << "Redis down alone keeps the instance in the load balancer";
  auto body = boost::json::parse(ready.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "degraded");
  EXPECT_EQ(body.at("checks").at("redis").as_string(), "down");
  EXPECT_EQ(body.at("checks").at("postgres").as_string(), "up");
}

TEST_F(StoreTest, ReadinessFailsWhileDraining) {
  start();
  EXPECT_EQ(get("/readyz").status, 200);
  site_.lifecycle->draining = true;
  auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(boost::json::parse(ready.body).at("status").as_string(), "not_ready");
}

}  // namespace
}  // namespace mc::web
