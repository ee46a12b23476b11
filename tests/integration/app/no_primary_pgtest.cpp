// The store with no primary (a failover under way, or the primary lost), wired by app::make_worker as `myclothes
// serve` wires it: browsing goes on from the replica and the cache, every write answers 503 with Retry-After and
// changes nothing, and /readyz keeps the instance in the load balancer as "degraded".
//
// The replica is the test PostgreSQL reached under the replica role (no streaming needed for what is tested
// here); the primary is a port where nobody listens. A first instance with the primary up makes the shopper.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/worker.hpp"
#include "integration/io_loop_test.hpp"
#include "integration/seeded_database.hpp"

namespace mc::app {
namespace {

namespace json = boost::json;

constexpr const char* kNoPrimary = "host=127.0.0.1 port=1 dbname=myclothes user=myclothes";
const std::string kCsrf(43, 'T');

class NoPrimaryTest : public testing::IoLoopTest {
 protected:
  static void SetUpTestSuite() { db_ = testing::seeded_database("no_primary", 200); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(db_, nullptr) << "no scratch database (see the first failure)";
    auto redis = test_redis();
    ASSERT_TRUE(redis);
    base_.redis = *redis;
    base_.server.instance_id = "i-c1";
    base_.server.az = "c";
    base_.server.web_root = std::string(MYCLOTHES_SOURCE_DIR) + "/web";
    prefix_ = "test:no-primary:" + std::to_string(::getpid()) + ":" + std::to_string(std::time(nullptr)) + ":";
  }

  void TearDown() override {
    for (auto& w : workers_) w->close();
    drain();
    workers_.clear();
  }

  Worker& start(bool primary_up) {
    Config& config = configs_.emplace_back(base_);
    if (primary_up) {
      config.db.primary = db_->conninfo();
    } else {
      config.db.primary = kNoPrimary;
      config.db.replicas = {db_->conninfo()};
    }
    auto shared = make_shared_parts(config);
    if (!shared) throw std::runtime_error(shared.error());
    shared_.emplace_back(std::move(*shared));
    WorkerOptions options;
    options.cache_key_prefix = prefix_;  // a cold cache: every catalog read below reaches the database
    auto worker = make_worker(shared_.back(), io_, std::move(options));
    if (!worker) throw std::runtime_error(worker.error());
    workers_.push_back(std::move(*worker));
    Worker& w = *workers_.back();
    pump([&] { return w.redis->connected(); });
    if (!w.redis->connected()) throw std::runtime_error("the test Redis does not answer");
    return w;
  }

  http::Response call(Worker& w, http::Method method, const std::string& target, std::string body = {},
                      std::string content_type = "application/json") {
    http::Request req;
    req.method = method;
    req.target = target;
    req.headers.push_back({"Host", "shop.test"});
    req.headers.push_back({"Cookie", "mc_csrf=" + kCsrf + (sid_.empty() ? "" : "; mc_sid=" + sid_)});
    if (!body.empty()) req.headers.push_back({"Content-Type", std::move(content_type)});
    req.headers.push_back({"Idempotency-Key", "no-primary-1"});
    req.body = std::move(body);
    auto r = run(w.handler(req));
    for (const auto& f : r.headers) {
      if (f.name == "Set-Cookie" && f.value.rfind("mc_sid=", 0) == 0) sid_ = f.value.substr(7, f.value.find(';') - 7);
    }
    return r;
  }
  http::Response get(Worker& w, const std::string& target) { return call(w, http::Method::kGet, target); }
  http::Response post(Worker& w, const std::string& target, std::string body) {
    return call(w, http::Method::kPost, target, std::move(body));
  }

  static std::string header(const http::Response& r, std::string_view name) { return std::string(r.get(name)); }
  static std::int64_t count(const std::string& sql, const std::string& param) {
    db::Params params{param};
    return db_->connect().exec(sql, params).int64(0, 0);
  }

  // A refused write: the dependency outage's answer, with the time to wait before trying again.
  static void expect_unavailable(const http::Response& r, const std::string& what) {
    EXPECT_EQ(r.status, 503) << what << ": " << r.body;
    EXPECT_EQ(header(r, "Retry-After"), "2") << what;
    if (header(r, "Content-Type").find("json") != std::string::npos) {
      EXPECT_EQ(json::parse(r.body).at("error").at("code").as_string(), "unavailable") << what;
    }
  }

  static testing::ScratchDatabase* db_;
  Config base_;
  std::string prefix_;
  std::string sid_;  // the shopper's session, as their browser keeps it
  std::deque<Config> configs_;
  std::deque<Shared> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

testing::ScratchDatabase* NoPrimaryTest::db_ = nullptr;

TEST_F(NoPrimaryTest, BrowsingGoesOnFromTheReplicaAndEveryWriteIsRefusedWithoutChangingAnything) {
  const std::string email = "no-primary-" + std::to_string(::getpid()) + "@example.com";
  const std::string sku(db_->connect().exec("SELECT sku FROM product_variants WHERE stock > 5 LIMIT 1").text(0, 0));
  const std::string slug(db_->connect().exec("SELECT slug FROM products WHERE id = 7").text(0, 0));

  // With the primary: a shopper with an account, an address and a cart line.
  Worker& before = start(true);
  ASSERT_EQ(post(before, "/api/v1/auth/register",
                 R"({"email":")" + email + R"(","password":"a long passphrase","name":"Kim"})")
                .status,
            201);
  auto address = post(before, "/api/v1/me/addresses",
                      R"({"recipient":"Kim","line1":"110 Sejong-daero","city":"Seoul","postal_code":"04524",)"
                      R"("country":"KR"})");
  ASSERT_EQ(address.status, 201) << address.body;
  const auto address_id = json::parse(address.body).at("id").as_int64();
  auto added = post(before, "/api/v1/cart/items", R"({"sku":")" + sku + R"(","qty":1})");
  ASSERT_EQ(added.status, 200);
  // Not necessarily 1: user carts live in the shared Redis by user id, and every scratch database starts at id 1.
  const auto units = json::parse(added.body).at("count").as_int64();
  const std::int64_t user_id = count("SELECT id FROM users WHERE email = $1", email);

  // Without it.
  Worker& w = start(false);
  auto ready = get(w, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  auto checks = json::parse(ready.body).as_object();
  EXPECT_EQ(checks.at("status").as_string(), "degraded");
  EXPECT_EQ(checks.at("checks").at("postgres").as_string(), "down");
  EXPECT_EQ(checks.at("checks").at("replicas").as_int64(), 1);
  EXPECT_EQ(checks.at("checks").at("redis").as_string(), "up");

  auto product = get(w, "/api/v1/products/7");
  EXPECT_EQ(product.status, 200);
  EXPECT_EQ(header(product, "X-DB"), "replica");
  EXPECT_EQ(get(w, "/api/v1/products?category=outerwear").status, 200);
  EXPECT_EQ(get(w, "/api/v1/categories").status, 200);
  EXPECT_EQ(get(w, "/").status, 200);
  EXPECT_EQ(get(w, "/p/" + slug).status, 200);
  EXPECT_EQ(get(w, "/search?q=jacket").status, 200);
  EXPECT_EQ(get(w, "/api/v1/products/7").status, 200);  // and from the cache

  expect_unavailable(post(w, "/api/v1/auth/register",
                          R"({"email":"other-)" + email + R"(","password":"a long passphrase","name":"Lee"})"),
                     "register");
  expect_unavailable(post(w, "/api/v1/auth/login", R"({"email":")" + email + R"(","password":"a long passphrase"})"),
                     "login");
  expect_unavailable(
      post(w, "/api/v1/me/addresses",
           R"({"recipient":"Kim","line1":"1 Other St","city":"Busan","postal_code":"1","country":"KR"})"),
      "add an address");
  expect_unavailable(post(w, "/api/v1/checkout", R"({"address_id":)" + std::to_string(address_id) + "}"), "checkout");
  expect_unavailable(call(w, http::Method::kPost, "/register",
                          "csrf=" + kCsrf + "&email=third-" + email + "&password=a+long+passphrase&name=Park",
                          "application/x-www-form-urlencoded"),
                     "the register form");
  expect_unavailable(call(w, http::Method::kPost, "/checkout",
                          "csrf=" + kCsrf + "&idempotency_key=form-1&address_id=" + std::to_string(address_id),
                          "application/x-www-form-urlencoded"),
                     "the checkout form");

  // Nothing changed: the cart still holds its line, and the database has what it had.
  auto cart = get(w, "/api/v1/cart");
  ASSERT_EQ(cart.status, 200);
  EXPECT_EQ(json::parse(cart.body).at("count").as_int64(), units);
  EXPECT_EQ(count("SELECT count(*) FROM orders WHERE user_id = $1::bigint", std::to_string(user_id)), 0);
  EXPECT_EQ(count("SELECT count(*) FROM addresses WHERE user_id = $1::bigint", std::to_string(user_id)), 1);
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE email LIKE '%' || $1", email), 1);
}

}  // namespace
}  // namespace mc::app
