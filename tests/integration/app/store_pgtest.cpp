// The store's handlers wired by app::make_worker, as `myclothes serve` wires them, against a real seeded PostgreSQL and
// a real Redis (or a Redis that is not there): what a shopper and the load balancer see, minus the sockets.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "account/login_limiter.hpp"
#include "app/worker.hpp"
#include "integration/io_loop_test.hpp"
#include "integration/seeded_database.hpp"

namespace mc::app {
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
    config_.server.web_root = std::string(MYCLOTHES_SOURCE_DIR) + "/web";
    auto shared = make_shared_parts(config_);
    ASSERT_TRUE(shared) << shared.error();
    shared_.emplace(std::move(*shared));
    auto worker = make_worker(*shared_, io_);
    ASSERT_TRUE(worker) << worker.error();
    worker_ = std::move(*worker);
    if (redis_port == 0) {
      pump([&] { return worker_->redis->connected(); });
      ASSERT_TRUE(worker_->redis->connected());
      // Each test reads its own products; whatever an earlier run cached for them goes first. (Tests run in
      // parallel against one Redis, so nothing wider is flushed.)
      std::vector<std::string> del{"DEL", "mc:product:1", "mc:product:2"};
      run(worker_->redis->command(std::move(del)));
    }
  }

  void TearDown() override {
    if (worker_) worker_->close();
    drain();
    worker_.reset();
  }

  http::Response get(const std::string& target) {
    http::Request req;
    req.method = http::Method::kGet;
    req.target = target;
    req.headers.push_back({"Accept-Language", "ko-KR,ko;q=0.9"});
    // One browser: the same form token every time, so equal pages are equal bytes.
    req.headers.push_back({"Cookie", "mc_csrf=" + std::string(43, 'T')});
    return run(worker_->handler(req));
  }

  static std::string header(const http::Response& r, std::string_view name) { return std::string(r.get(name)); }

  static testing::ScratchDatabase* db_;
  Config config_;
  std::optional<Shared> shared_;
  std::unique_ptr<Worker> worker_;
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
  run(worker_->redis->command(std::move(del)));
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

TEST_F(StoreTest, WithoutRedisTheShoppersPagesSayTheStoreIsBrieflyUnavailable) {
  start(/*redis_port=*/1);
  http::Request page;
  page.target = "/cart";
  page.headers.push_back({"Cookie", "mc_sid=" + session::new_id()});
  auto cart = run(worker_->handler(page));
  EXPECT_EQ(cart.status, 503) << "never an empty cart when the session store cannot answer";
  EXPECT_EQ(header(cart, "Retry-After"), "1");
  EXPECT_NE(header(cart, "Content-Type").find("text/html"), std::string::npos) << "a page, not the API's JSON";

  http::Request add;
  add.method = http::Method::kPost;
  add.target = "/api/v1/cart/items";
  add.headers.push_back({"Content-Type", "application/json"});
  add.body = R"({"sku":"P3-BLACK-M","qty":1})";
  auto api = run(worker_->handler(add));
  EXPECT_EQ(api.status, 503);
  EXPECT_EQ(boost::json::parse(api.body).at("error").at("code").as_string(), "unavailable");
  EXPECT_EQ(get("/p/does-not-matter").status, 404) << "catalog pages still render without the session store";
}

TEST_F(StoreTest, InModeDynamodbTheCartLivesInTheTableAndAnotherInstanceSeesIt) {
  const char* endpoint = std::getenv("MYCLOTHES_DYNAMODB_ENDPOINT");
  const char* table = std::getenv("MYCLOTHES_DYNAMODB_TABLE");
  ASSERT_TRUE(endpoint && table && std::getenv("AWS_ACCESS_KEY_ID"))
      << "run under script/test, or: deploy/local/dynamodb/server start && eval \"$(deploy/local/dynamodb/server "
         "env)\"";
  config_.session.mode = SessionMode::kDynamodb;
  config_.dynamodb.endpoint = endpoint;
  config_.dynamodb.table = table;
  start();
  const std::string sku(db_->connect().exec("SELECT sku FROM product_variants WHERE stock > 5 LIMIT 1").text(0, 0));
  std::string sid;
  auto call = [&](Worker& w, http::Method method, const std::string& target, const std::string& body) {
    http::Request req;
    req.method = method;
    req.target = target;
    req.headers.push_back({"Cookie", "mc_csrf=" + std::string(43, 'T') + (sid.empty() ? "" : "; mc_sid=" + sid)});
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    req.body = body;
    auto r = run(w.handler(req));
    for (const auto& f : r.headers) {
      if (f.name == "Set-Cookie" && f.value.rfind("mc_sid=", 0) == 0) sid = f.value.substr(7, f.value.find(';') - 7);
    }
    return r;
  };
  auto added = call(*worker_, http::Method::kPost, "/api/v1/cart/items", R"({"sku":")" + sku + R"(","qty":2})");
  ASSERT_EQ(added.status, 200) << added.body;
  ASSERT_FALSE(sid.empty()) << "a guest's first add starts a session";
  EXPECT_EQ(boost::json::parse(added.body).at("count").as_int64(), 2);
  auto too_many = call(*worker_, http::Method::kPost, "/api/v1/cart/items", R"({"sku":")" + sku + R"(","qty":98})");
  EXPECT_EQ(too_many.status, 409) << "at most min(stock, 99) per line, as in mode redis: " << too_many.body;

  // Another instance (its own worker and DynamoDB client, nothing in memory shared) answers for the same shopper.
  auto other = make_worker(*shared_, io_);
  ASSERT_TRUE(other) << other.error();
  auto cart = call(**other, http::Method::kGet, "/api/v1/cart", "");
  ASSERT_EQ(cart.status, 200) << cart.body;
  const auto lines = boost::json::parse(cart.body).at("items").as_array();
  ASSERT_EQ(lines.size(), 1u) << cart.body;
  EXPECT_EQ(lines[0].at("sku").as_string(), sku);
  EXPECT_EQ(lines[0].at("qty").as_int64(), 2) << "the refused add changed nothing";
  (*other)->close();
}

TEST_F(StoreTest, ReadinessFailsWhileDraining) {
  start();
  EXPECT_EQ(get("/readyz").status, 200);
  shared_->lifecycle->draining = true;
  auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(boost::json::parse(ready.body).at("status").as_string(), "not_ready");
}

TEST_F(StoreTest, TheShoppersOwnAnswersAreNeverStoredByACache) {
  start();
  for (const char* target :
       {"/api/v1/me", "/api/v1/cart", "/api/v1/orders", "/api/v1/me/addresses", "/account", "/cart", "/orders"}) {
    auto r = get(target);
    EXPECT_EQ(header(r, "Cache-Control"), "no-store") << target << " (status " << r.status << ")";
  }
  EXPECT_NE(header(get("/api/v1/products/1"), "Cache-Control"), "no-store") << "the catalog is not personal";
}

TEST_F(StoreTest, LoginLimitsCountPerShopperBehindTheLoadBalancer) {
  start();
  // Every request comes from the load balancer's address; the shopper is who it names (the server fills
  // client_address from a trusted balancer's X-Forwarded-For: tests/integration/http/server_test.cpp).
  // Before: one counter for the balancer's address, so ~30 failures from anyone refused every shopper.
  const std::string run_id = std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
  auto login = [&](const std::string& client, const std::string& email) {
    http::Request req;
    req.method = http::Method::kPost;
    req.target = "/api/v1/auth/login";
    req.remote_address = "10.92.1.10";
    req.client_address = client;
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = R"({"email":")" + email + R"(","password":"not the password"})";
    return run(worker_->handler(req)).status;
  };
  const std::string attacker = "203.0.113." + std::to_string(::getpid() % 200);
  int refused = 0;
  for (int i = 0; i <= account::kClientAttempts; ++i) {
    refused += login(attacker, "nobody-" + std::to_string(i) + "-" + run_id + "@example.com") == 429;
  }
  EXPECT_EQ(refused, 1) << "the attacker's attempt past the limit";
  EXPECT_EQ(login(attacker, "someone-" + run_id + "@example.com"), 429);
  EXPECT_EQ(login("198.51.100.7", "someone-" + run_id + "@example.com"), 401) << "another shopper is not limited";
}

TEST_F(StoreTest, TextThatIsNotUtf8NeverReachesTheDatabase) {
  start();
  // Before: a surrogate in the search reached PostgreSQL, which refused it, and the shopper read "briefly
  // unavailable" (503). Now it is the shopper's input that is wrong, and it says so.
  for (const char* target : {"/api/v1/products?q=%ED%A0%80", "/api/v1/products?q=%F4%90%80%80&page=2"}) {
    auto r = get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "invalid_text") << target;
  }
  auto page = get("/p/%ED%A0%80");
  EXPECT_EQ(page.status, 400);
  EXPECT_NE(header(page, "Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("주소에 올바르지 않은 문자가 있습니다"), std::string::npos) << "the store's page, in Korean";
  auto search = get("/search?q=%ED%A0%80");
  EXPECT_EQ(search.status, 400);
  EXPECT_EQ(get("/api/v1/products?q=%ED%95%AD%EA%B3%B5").status, 200) << "Korean text passes";
}

}  // namespace
}  // namespace mc::app
