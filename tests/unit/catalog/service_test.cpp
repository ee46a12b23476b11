#include "catalog/service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <map>

#include "cache/cache.hpp"

namespace mc::catalog {
namespace {

namespace net = boost::asio;

// An in-memory cache store: enough to watch what the service caches and invalidates.
class MemoryStore final : public cache::Store {
 public:
  std::map<std::string, std::string> values;
  std::map<std::string, std::int64_t> counters;

  Task<std::optional<std::string>> get(std::string key) override {
    auto it = values.find(key);
    if (it == values.end()) co_return std::nullopt;
    co_return it->second;
  }
  Task<void> set(std::string key, std::string value, std::chrono::milliseconds) override {
    values[key] = std::move(value);
    co_return;
  }
  Task<void> del(std::vector<std::string> keys) override {
    for (const auto& k : keys) values.erase(k);
    co_return;
  }
  Task<std::int64_t> get_counter(std::string key) override { co_return counters[key]; }
  Task<std::int64_t> incr(std::string key) override { co_return ++counters[key]; }
  bool available() const override { return true; }
};

class FakeRepository final : public CatalogRepository {
 public:
  int product_loads = 0;
  int list_loads = 0;
  std::int64_t price = 129000;

  Task<FromDb<std::vector<Category>>> categories() override {
    co_return FromDb<std::vector<Category>>{{Category{"outerwear", {"아우터", "Outerwear"}, 1}}, "replica"};
  }
  Task<FromDb<std::optional<Product>>> product(std::int64_t id) override {
    ++product_loads;
    if (id != 42) co_return FromDb<std::optional<Product>>{std::nullopt, "replica"};
    Product p;
    p.id = 42;
    p.slug = "flight-jacket-42";
    p.name = {"항공 점퍼", "Flight Jacket"};
    p.category = "outerwear";
    p.price = price;
    p.variants = {{"P42-BLACK-M", "M", "black", 3}};
    co_return FromDb<std::optional<Product>>{p, "replica"};
  }
  Task<FromDb<std::optional<std::int64_t>>> product_id_by_slug(std::string slug) override {
    if (slug == "flight-jacket-42") co_return FromDb<std::optional<std::int64_t>>{42, "replica"};
    co_return FromDb<std::optional<std::int64_t>>{std::nullopt, "replica"};
  }
  Task<FromDb<Listing>> list(ListingQuery q) override {
    ++list_loads;
    Listing l;
    l.total = 1;
    l.page = q.page;
    l.per_page = q.per_page;
    l.items.push_back(
        ProductSummary{42, "flight-jacket-42", {"항공 점퍼", "Flight Jacket"}, "outerwear", price, {"black"}, true});
    co_return FromDb<Listing>{l, "replica"};
  }
};

class CatalogServiceTest : public ::testing::Test {
 protected:
  template <class T>
  T run(Task<T> task) {
    auto f = net::co_spawn(io_, std::move(task), net::use_future);
    io_.restart();
    io_.run();
    return f.get();
  }

  net::io_context io_;
  MemoryStore store_;
  cache::CacheAside cache_{store_, 0.1};
  FakeRepository repo_;
  CatalogService service_{repo_, cache_, CacheConfig{}};
};

TEST_F(CatalogServiceTest, FirstReadMissesAndNamesTheDatabaseSecondHits) {
  auto first = run(service_.product(42));
  EXPECT_TRUE(first.found);
  EXPECT_FALSE(first.hit);
  EXPECT_EQ(first.db, "replica");
  auto second = run(service_.product(42));
  EXPECT_TRUE(second.hit);
  EXPECT_EQ(second.db, "none");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(repo_.product_loads, 1);
  EXPECT_EQ(boost::json::parse(second.body).at("price").as_int64(), 129000);
}

TEST_F(CatalogServiceTest, MissingProductIsNotFoundAndNotCached) {
  EXPECT_FALSE(run(service_.product(7)).found);
  EXPECT_FALSE(run(service_.product(7)).found);
  EXPECT_EQ(repo_.product_loads, 2);
}

TEST_F(CatalogServiceTest, SlugResolvesThroughTheCacheToo) {
  auto first = run(service_.product_by_slug("flight-jacket-42"));
  EXPECT_TRUE(first.found);
  EXPECT_FALSE(first.hit);
  auto second = run(service_.product_by_slug("flight-jacket-42"));
  EXPECT_TRUE(second.hit);
  EXPECT_EQ(second.db, "none");
  EXPECT_FALSE(run(service_.product_by_slug("no-such-thing")).found);
}

TEST_F(CatalogServiceTest, InvalidationDropsTheProductAndEveryListing) {
  ListingQuery q;
  run(service_.list(q));
  EXPECT_TRUE(run(service_.list(q)).hit);
  run(service_.product(42));
  repo_.price = 99000;
  run(service_.invalidate_product(42));
  auto product = run(service_.product(42));
  EXPECT_FALSE(product.hit);
  EXPECT_EQ(boost::json::parse(product.body).at("price").as_int64(), 99000);
  auto listing = run(service_.list(q));
  EXPECT_FALSE(listing.hit);
  EXPECT_EQ(repo_.list_loads, 2);
  EXPECT_EQ(boost::json::parse(listing.body).at("items").at(0).at("price").as_int64(), 99000);
}

}  // namespace
}  // namespace mc::catalog

namespace mc::catalog {
namespace {

TEST_F(CatalogServiceTest, TheNavigationsCategoriesAreHeldInTheThreadBriefly) {
  auto first = run(service_.categories());
  EXPECT_FALSE(first.hit);
  store_.values.clear();  // were the thread to ask the cache again, this would be a miss
  auto second = run(service_.categories());
  EXPECT_TRUE(second.hit);
  EXPECT_EQ(second.body, first.body);
  run(service_.invalidate_product(42));  // a catalog write on this thread lets go of them
  EXPECT_FALSE(run(service_.categories()).hit);
}

TEST_F(CatalogServiceTest, AHeldSlugStillReadsTheCurrentProduct) {
  run(service_.product_by_slug("flight-jacket-42"));
  repo_.price = 99000;
  run(service_.invalidate_product(42));
  auto page = run(service_.product_by_slug("flight-jacket-42"));
  ASSERT_TRUE(page.found);
  EXPECT_EQ(boost::json::parse(page.body).at("price").as_int64(), 99000);
}

}  // namespace
}  // namespace mc::catalog
