// The admin API and the cache across instances, against a real seeded PostgreSQL and the shared Redis: two
// "instances" (each its own worker, built by app::make_worker as `myclothes serve` builds one I/O thread's)
// over the same database and Redis. Both run on the test's one
// io_context, so their requests interleave as two processes' would.
//
// The shared Redis is shared with other test processes: every key these tests touch carries a prefix of
// their own (app::WorkerOptions' cache_key_prefix), and the tests delete their keys at the end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "app/worker.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "integration/io_loop_test.hpp"
#include "integration/seeded_database.hpp"

namespace mc::app {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kToken = "integration-admin-token-3f9c1e7a";

// The repository as serve builds it, counting the loads the cache lets through to the database.
class CountingRepository final : public catalog::CatalogRepository {
 public:
  explicit CountingRepository(std::unique_ptr<catalog::CatalogRepository> inner) : inner_(std::move(inner)) {}

  int product_loads = 0;
  int list_loads = 0;

  Task<catalog::FromDb<std::vector<catalog::Category>>> categories() override { return inner_->categories(); }
  Task<catalog::FromDb<std::optional<catalog::Product>>> product(std::int64_t id) override {
    ++product_loads;
    return inner_->product(id);
  }
  Task<catalog::FromDb<std::optional<std::int64_t>>> product_id_by_slug(std::string slug) override {
    return inner_->product_id_by_slug(std::move(slug));
  }
  Task<catalog::FromDb<catalog::Listing>> list(catalog::ListingQuery query) override {
    ++list_loads;
    return inner_->list(std::move(query));
  }
  Task<catalog::FromDb<std::vector<catalog::Category>>> categories_after(db::Lsn after) override {
    return inner_->categories_after(after);
  }
  Task<catalog::FromDb<std::optional<catalog::Product>>> product_after(std::int64_t id, db::Lsn after) override {
    ++product_loads;
    return inner_->product_after(id, after);
  }
  Task<catalog::FromDb<catalog::Listing>> list_after(catalog::ListingQuery query, db::Lsn after) override {
    ++list_loads;
    return inner_->list_after(std::move(query), after);
  }
  Task<catalog::ProductWrite> update_product(std::int64_t id, catalog::ProductChange change) override {
    return inner_->update_product(id, std::move(change));
  }

 private:
  std::unique_ptr<catalog::CatalogRepository> inner_;
};

// One instance's per-thread objects, and what the tests look at.
struct Stack {
  std::unique_ptr<Worker> worker;
  CountingRepository* repository = nullptr;  // the worker's
  redis::Client* redis = nullptr;
  http::Router* router = nullptr;
};

std::uint64_t cache_count(std::string_view result) {
  return metrics::registry().counter("myclothes_cache_requests_total", {{"result", std::string(result)}}).value();
}
std::uint64_t catalog_writes() { return metrics::registry().counter("myclothes_catalog_writes_total").value(); }

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= s.size()) {
    const auto comma = s.find(',', from);
    const auto item = s.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

class CatalogAdminTest : public testing::IoLoopTest {
 protected:
  static void SetUpTestSuite() {
    db_ = testing::seeded_database("admin", 400);
    if (db_ == nullptr) return;
    // With read replicas (MYCLOTHES_DB_REPLICAS), the tests read them too: wait until they have the catalog.
    if (const char* env = std::getenv("MYCLOTHES_DB_REPLICAS")) {
      for (const auto& r : split_commas(env)) replicas_.push_back(db::conninfo_with_database(r, db_->name()));
    }
    const auto target = std::string(db_->connect().exec("SELECT pg_current_wal_lsn()::text").text(0, 0));
    for (const auto& r : replicas_) {
      const auto until = std::chrono::steady_clock::now() + 20s;
      for (;;) {
        try {
          auto conn = testing::connect_or_throw(r);
          db::Params params{target};
          if (conn.exec("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", params).boolean(0, 0)) break;
        } catch (const std::exception&) {
          // the scratch database may not have reached the replica yet
        }
        ASSERT_LT(std::chrono::steady_clock::now(), until) << "replica " << r << " did not catch up";
        std::this_thread::sleep_for(50ms);
      }
    }
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(db_, nullptr) << "no scratch database (see the first failure)";
    auto redis = test_redis();
    ASSERT_TRUE(redis);
    config_.db.primary = db_->conninfo();
    config_.db.replicas = replicas_;
    config_.redis = *redis;
    config_.admin.token = std::string(kToken);
    // This test's own corner of the shared Redis.
    prefix_ = "test:" + std::to_string(::getpid()) + ":" + random_token(6) + ":";
  }

  // One instance. `redis_port` 0: the test Redis; otherwise that port (1: nobody listens).
  Stack& start(std::uint16_t redis_port = 0) {
    auto s = std::make_unique<Stack>();
    config_.server.web_root = std::string(MYCLOTHES_SOURCE_DIR) + "/web";
    Config& config = configs_.emplace_back(config_);
    if (redis_port) config.redis.port = redis_port;
    auto shared = make_shared_parts(config);
    if (!shared) throw std::runtime_error(shared.error());
    shared_.emplace_back(std::move(*shared));
    WorkerOptions options;
    options.cache_key_prefix = prefix_;
    options.wrap_repository = [&s](std::unique_ptr<catalog::CatalogRepository> inner) {
      auto counting = std::make_unique<CountingRepository>(std::move(inner));
      s->repository = counting.get();
      return std::unique_ptr<catalog::CatalogRepository>(std::move(counting));
    };
    auto worker = make_worker(shared_.back(), io_, std::move(options));
    if (!worker) throw std::runtime_error(worker.error());
    s->worker = std::move(*worker);
    s->redis = s->worker->redis.get();
    s->router = s->worker->router.get();
    if (redis_port == 0) {
      pump([&] { return s->redis->connected(); });
      if (!s->redis->connected()) throw std::runtime_error("the test Redis does not answer");
    }
    stacks_.push_back(std::move(s));
    return *stacks_.back();
  }

  void TearDown() override {
    for (auto& s : stacks_) {
      if (s->redis->connected()) {
        forget_keys(*s->redis);
        break;
      }
    }
    for (auto& s : stacks_) s->worker->close();
    drain();
    stacks_.clear();
  }

  // Deletes every key of this test's prefix.
  void forget_keys(redis::Client& redis) {
    std::string cursor = "0";
    do {
      std::vector<std::string> scan{"SCAN", cursor, "MATCH", prefix_ + "*", "COUNT", "1000"};
      auto reply = run(redis.command(std::move(scan)));
      if (!reply || reply->elements.size() != 2) return;
      cursor = reply->elements[0].str;
      std::vector<std::string> del{"DEL"};
      for (const auto& k : reply->elements[1].elements) del.push_back(k.str);
      if (del.size() > 1) run(redis.command(std::move(del)));
    } while (cursor != "0");
  }

  std::optional<std::string> redis_get(Stack& s, const std::string& key) {
    std::vector<std::string> get{"GET", prefix_ + key};
    auto reply = run(s.redis->command(std::move(get)));
    if (!reply || reply->type != redis::Reply::Type::kString) return std::nullopt;
    return reply->str;
  }

  static http::Request request(http::Method method, std::string target) {
    http::Request req;
    req.method = method;
    req.target = std::move(target);
    req.headers.push_back({"Host", "shop.test"});
    req.headers.push_back({"Accept-Language", "ko-KR,ko;q=0.9"});
    req.headers.push_back({"Cookie", "mc_csrf=" + std::string(43, 'T')});
    return req;
  }

  http::Response call(Stack& s, http::Request req) { return run(s.worker->handler(req)); }
  http::Response get(Stack& s, const std::string& target) { return call(s, request(http::Method::kGet, target)); }

  // PUT /api/v1/admin/products/{id} as an administrator's script sends it.
  http::Response put(Stack& s, std::int64_t id, std::string body, std::string_view token = kToken,
                     std::string content_type = "application/json") {
    auto req = request(http::Method::kPut, "/api/v1/admin/products/" + std::to_string(id));
    if (!token.empty()) req.headers.push_back({"Authorization", "Bearer " + std::string(token)});
    if (!content_type.empty()) req.headers.push_back({"Content-Type", std::move(content_type)});
    req.body = std::move(body);
    return call(s, std::move(req));
  }

  static json::object parse(const http::Response& r) { return json::parse(r.body).as_object(); }
  static std::string header(const http::Response& r, std::string_view name) { return std::string(r.get(name)); }

  // The product's row as the primary has it: price and every variant's stock.
  static std::string row(std::int64_t id) {
    db::Params params{std::to_string(id)};
    auto r = db_->connect().exec(
        "SELECT price::text || ' ' || name_en || ' ' || (SELECT string_agg(sku || '=' || stock, ',' ORDER BY sku) "
        "FROM product_variants WHERE product_id = p.id) FROM products p WHERE id = $1::bigint",
        params);
    return std::string(r.text(0, 0));
  }

  static testing::ScratchDatabase* db_;
  static std::vector<std::string> replicas_;
  Config config_;
  std::string prefix_;
  std::deque<Config> configs_;  // each stack's (a worker keeps a reference)
  std::deque<Shared> shared_;
  std::vector<std::unique_ptr<Stack>> stacks_;
};

testing::ScratchDatabase* CatalogAdminTest::db_ = nullptr;
std::vector<std::string> CatalogAdminTest::replicas_;

TEST_F(CatalogAdminTest, AChangeThroughOneInstanceShowsOnAnotherAtOnce) {
  Stack& a = start();
  Stack& b = start();

  // Instance B has the listing, the product's document and both pages warm.
  const std::string listing_url = "/api/v1/products?category=outerwear";
  auto listing = get(b, listing_url);
  ASSERT_EQ(listing.status, 200);
  const auto item = parse(listing).at("items").at(0).as_object();
  const std::int64_t id = item.at("id").as_int64();
  const std::string slug(item.at("slug").as_string());
  const std::int64_t new_price = item.at("price").as_int64() == 777'770 ? 777'780 : 777'770;
  const std::string shown = new_price == 777'770 ? "777,770" : "777,780";
  EXPECT_EQ(header(get(b, listing_url), "X-Cache"), "hit");
  get(b, "/api/v1/products/" + std::to_string(id));
  EXPECT_EQ(header(get(b, "/api/v1/products/" + std::to_string(id)), "X-Cache"), "hit");
  auto page = get(b, "/p/" + slug);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(get(b, "/p/" + slug).body, page.body) << "the page is remembered (PageMemo)";
  EXPECT_EQ(page.body.find(shown), std::string::npos);
  auto category_page = get(b, "/c/outerwear");
  ASSERT_EQ(category_page.status, 200);
  get(b, "/c/outerwear");

  // The change goes through instance A...
  const auto writes_before = catalog_writes();
  auto written = put(a, id, R"({"price":)" + std::to_string(new_price) + "}");
  ASSERT_EQ(written.status, 200) << written.body;
  EXPECT_EQ(parse(written).at("price").as_int64(), new_price);
  EXPECT_EQ(parse(written).at("id").as_int64(), id);
  EXPECT_EQ(catalog_writes() - writes_before, 1u);

  // ...and instance B shows it on the very next reads.
  auto product = get(b, "/api/v1/products/" + std::to_string(id));
  EXPECT_EQ(parse(product).at("price").as_int64(), new_price);
  EXPECT_EQ(header(product, "X-Cache"), "hit") << "write-through: the written document is in the cache";
  EXPECT_EQ(product.body, written.body);
  auto page_after = get(b, "/p/" + slug);
  EXPECT_NE(page_after.body.find(shown), std::string::npos) << "the remembered page was not reused";
  auto listing_after = get(b, listing_url);
  EXPECT_EQ(header(listing_after, "X-Cache"), "miss") << "the write moved every listing to a new version";
  EXPECT_NE(header(listing_after, "X-DB"), "none");
  bool seen = false;
  const auto listed = parse(listing_after);
  for (const auto& i : listed.at("items").as_array()) {
    if (i.at("id").as_int64() == id) {
      seen = true;
      EXPECT_EQ(i.at("price").as_int64(), new_price);
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_NE(get(b, "/c/outerwear").body.find(shown), std::string::npos);
  EXPECT_EQ(row(id).substr(0, row(id).find(' ')), std::to_string(new_price));
  EXPECT_TRUE(redis_get(b, "mc:catalog:lsn")) << "the write's position is recorded next to the version";
}

TEST_F(CatalogAdminTest, AColdProductAskedByManyOnTwoInstancesIsLoadedAboutOnce) {
  Stack& a = start();
  Stack& b = start();
  const std::int64_t id = 123;
  const auto waits_before = cache_count("lock_wait");
  const auto coalesced_before = cache_count("coalesced");
  const auto misses_before = cache_count("miss");

  constexpr int kPerInstance = 200;
  std::deque<http::Request> requests;
  std::vector<http::Response> responses(2 * kPerInstance);
  int finished = 0;
  for (int i = 0; i < 2 * kPerInstance; ++i) {
    Stack& s = i % 2 == 0 ? a : b;  // interleaved, as two instances behind a load balancer
    requests.push_back(request(http::Method::kGet, "/api/v1/products/" + std::to_string(id)));
    auto& req = requests.back();
    auto m = s.router->match(req);
    ASSERT_NE(m.handler, nullptr);
    const http::Handler* handler = m.handler;
    net::co_spawn(
        io_,
        [&, handler, i]() -> Task<void> {
          responses[static_cast<std::size_t>(i)] = co_await (*handler)(requests[static_cast<std::size_t>(i)]);
          ++finished;
        },
        net::detached);
  }
  pump([&] { return finished == 2 * kPerInstance; }, 20s);
  ASSERT_EQ(finished, 2 * kPerInstance);

  int hits = 0;
  for (const auto& r : responses) {
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, responses[0].body);
    hits += header(r, "X-Cache") == "hit";
  }
  const int loads_a = a.repository->product_loads;
  const int loads_b = b.repository->product_loads;
  std::cout << "[ stampede ] 2 x " << kPerInstance << " concurrent requests for one cold product: database loads "
            << "A=" << loads_a << " B=" << loads_b << "; lock waits " << cache_count("lock_wait") - waits_before
            << ", coalesced " << cache_count("coalesced") - coalesced_before << ", misses "
            << cache_count("miss") - misses_before << ", cache hits " << hits << "\n";
  RecordProperty("loads_a", loads_a);
  RecordProperty("loads_b", loads_b);
  EXPECT_LE(loads_a, 1);
  EXPECT_LE(loads_b, 1);
  EXPECT_LE(loads_a + loads_b, 2);
  EXPECT_GE(loads_a + loads_b, 1);
  EXPECT_TRUE(redis_get(a, "mc:product:123"));
  EXPECT_FALSE(redis_get(a, "mc:lock:mc:product:123")) << "the lock was released";
}

TEST_F(CatalogAdminTest, TheAdminApiRefusesWhatItMustAndThenChangesNothing) {
  Stack& s = start();
  const std::int64_t id = 42;
  const std::string before = row(id);
  db::Params other{"43"};
  const std::string foreign_sku(
      db_->connect().exec("SELECT sku FROM product_variants WHERE product_id = $1::bigint LIMIT 1", other).text(0, 0));
  db::Params own{"42"};
  const std::string own_sku(
      db_->connect().exec("SELECT sku FROM product_variants WHERE product_id = $1::bigint LIMIT 1", own).text(0, 0));
  const auto writes_before = catalog_writes();

  auto wrong = put(s, id, R"({"price":1000})", "not-the-token");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(header(wrong, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(parse(wrong).at("error").at("code").as_string(), "unauthorized");
  EXPECT_EQ(put(s, id, R"({"price":1000})", "").status, 401) << "no Authorization header";
  EXPECT_EQ(put(s, id, R"({"price":1000})", std::string(kToken) + "x").status, 401);
  EXPECT_EQ(put(s, id, R"({"price":1000})", std::string(kToken).substr(1)).status, 401);
  {
    auto req = request(http::Method::kPut, "/api/v1/admin/products/42");
    req.headers.push_back({"Authorization", "Basic " + std::string(kToken)});
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = R"({"price":1000})";
    EXPECT_EQ(call(s, std::move(req)).status, 401) << "only the Bearer scheme";
  }

  auto form = put(s, id, "price=1000", kToken, "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 415);
  EXPECT_EQ(put(s, id, R"({"price":1000})", kToken, "text/plain").status, 415);
  {
    auto req = request(http::Method::kPut, "/api/v1/admin/products/42");
    req.headers.push_back({"Authorization", "Bearer " + std::string(kToken)});
    req.headers.push_back({"Content-Type", "application/json"});
    req.headers.push_back({"Origin", "https://evil.example"});
    req.body = R"({"price":1000})";
    auto foreign = call(s, std::move(req));
    EXPECT_EQ(foreign.status, 403);
    EXPECT_EQ(parse(foreign).at("error").at("code").as_string(), "forbidden_origin");
  }

  auto refused = [&](std::string body) {
    auto r = put(s, id, std::move(body));
    EXPECT_EQ(r.status, 422) << r.body;
    if (r.status != 422) return std::string();
    EXPECT_EQ(parse(r).at("error").at("code").as_string(), "invalid_input");
    const auto error = parse(r);
    const auto* field = error.at("error").as_object().if_contains("field");
    return field ? std::string(field->as_string()) : std::string("(body)");
  };
  EXPECT_EQ(refused(R"({"price":0})"), "price");
  EXPECT_EQ(refused(R"({"price":100000001})"), "price");
  EXPECT_EQ(refused(R"({"price":"1000"})"), "price");
  EXPECT_EQ(refused(R"({"slug":"renamed"})"), "slug");
  EXPECT_EQ(refused(R"({"price":1000,"discount":5})"), "discount");
  EXPECT_EQ(refused(R"({"name":{"ko":""}})"), "name.ko");
  EXPECT_EQ(refused("{}"), "(body)");
  EXPECT_EQ(refused("not json"), "(body)");
  EXPECT_EQ(refused(R"({"variants":[{"sku":")" + own_sku + R"(","stock":100001}]})"), "variants[0].stock");
  // Valid on its own, but a SKU of another product: the whole change is refused, the price too.
  EXPECT_EQ(refused(R"({"price":1000,"variants":[{"sku":")" + own_sku + R"(","stock":5},{"sku":")" + foreign_sku +
                    R"(","stock":5}]})"),
            "variants");

  auto unknown = put(s, 999'999, R"({"price":1000})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(parse(unknown).at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(put(s, 0, R"({"price":1000})").status, 404);

  EXPECT_EQ(row(id), before) << "nothing changed in the database";
  EXPECT_FALSE(redis_get(s, "mc:catalog:version")) << "nor in the cache";
  EXPECT_EQ(catalog_writes(), writes_before);

  // The same request done right: a stock change.
  auto ok = put(s, id, R"({"variants":[{"sku":")" + own_sku + R"(","stock":7}]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  bool found = false;
  const auto changed = parse(ok);
  for (const auto& v : changed.at("variants").as_array()) {
    if (v.at("sku").as_string() == own_sku) {
      found = true;
      EXPECT_EQ(v.at("stock").as_int64(), 7);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_NE(row(id).find(own_sku + "=7"), std::string::npos);
  EXPECT_EQ(redis_get(s, "mc:catalog:version"), "1");
  EXPECT_EQ(catalog_writes() - writes_before, 1u);
}

TEST_F(CatalogAdminTest, WithoutAConfiguredTokenThereIsNoAdminApi) {
  config_.admin.token.clear();
  Stack& s = start();
  const std::string before = row(44);
  auto r = put(s, 44, R"({"price":1000})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parse(r).at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(put(s, 44, R"({"price":1000})", "").status, 404);
  EXPECT_EQ(row(44), before);
}

TEST_F(CatalogAdminTest, WithTheCacheSwitchedOffEveryReadGoesToTheDatabase) {
  config_.cache.enabled = false;
  Stack& s = start();
  for (int i = 0; i < 3; ++i) {
    auto r = get(s, "/api/v1/products/45");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(header(r, "X-Cache"), "miss");
    EXPECT_NE(header(r, "X-DB"), "none");
    auto l = get(s, "/api/v1/products?category=tops");
    EXPECT_EQ(header(l, "X-Cache"), "miss");
    EXPECT_NE(header(l, "X-DB"), "none");
    auto c = get(s, "/api/v1/categories");
    EXPECT_EQ(header(c, "X-Cache"), "miss") << "not even held in the thread";
  }
  EXPECT_EQ(s.repository->product_loads, 3);
  EXPECT_FALSE(redis_get(s, "mc:product:45")) << "nothing was written to Redis";
  // A write still works, and the next read shows it.
  auto written = put(s, 45, R"({"price":55500})");
  ASSERT_EQ(written.status, 200) << written.body;
  EXPECT_EQ(parse(get(s, "/api/v1/products/45")).at("price").as_int64(), 55500);
}

TEST_F(CatalogAdminTest, WithRedisDownReadsWorkAndAWriteIsSavedButSaysTheCacheWasNotTold) {
  Stack& s = start(/*redis_port=*/1);
  auto r = get(s, "/api/v1/products/46");
  EXPECT_EQ(r.status, 200) << "no lock, no cache: straight to the database";
  EXPECT_EQ(header(r, "X-Cache"), "miss");
  auto written = put(s, 46, R"({"price":46600})");
  EXPECT_EQ(written.status, 503);
  EXPECT_EQ(header(written, "Retry-After"), "1");
  EXPECT_EQ(row(46).substr(0, row(46).find(' ')), "46600") << "the change itself is saved";
}

}  // namespace
}  // namespace mc::app
