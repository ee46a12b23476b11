#include "catalog/service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "cache/cache.hpp"
#include "catalog/json.hpp"
#include "fakes/cache_store.hpp"
#include "fakes/catalog_repository.hpp"

namespace mc::catalog {
namespace {

namespace net = boost::asio;

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
  fakes::CacheStore store_;
  cache::CacheAside cache_{store_, 0.1};
  fakes::CatalogRepository repo_;
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
  repo_.products.at(42).price = 99000;
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
  repo_.products.at(42).price = 99000;
  run(service_.invalidate_product(42));
  auto page = run(service_.product_by_slug("flight-jacket-42"));
  ASSERT_TRUE(page.found);
  EXPECT_EQ(boost::json::parse(page.body).at("price").as_int64(), 99000);
}

}  // namespace
}  // namespace mc::catalog

namespace mc::catalog {
namespace {

ProductChange new_price(std::int64_t price) {
  ProductChange c;
  c.price = price;
  return c;
}

TEST_F(CatalogServiceTest, AnAdminWriteReplacesTheCachedDocumentWithTheWrittenOne) {
  run(service_.product(42));
  auto update = run(service_.update_product(42, new_price(99000)));
  ASSERT_EQ(update.outcome, Update::Outcome::kUpdated);
  EXPECT_TRUE(update.published);
  EXPECT_EQ(boost::json::parse(update.body).at("price").as_int64(), 99000);
  auto after = run(service_.product(42));
  EXPECT_TRUE(after.hit) << "write-through: the next read needs no database";
  EXPECT_EQ(after.body, update.body);
  EXPECT_EQ(repo_.product_loads, 1);
  EXPECT_EQ(store_.values.at("mc:catalog:lsn"), "00000016B374D848");
}

TEST_F(CatalogServiceTest, ListingsLoadedAfterAWriteMustSeeItsPosition) {
  ListingQuery q;
  run(service_.list(q));
  EXPECT_EQ(repo_.list_read_after, 0u) << "before any write, any replica will do";
  run(service_.update_product(42, new_price(99000)));
  auto listing = run(service_.list(q));
  EXPECT_FALSE(listing.hit) << "the write moved every listing to a new version";
  EXPECT_EQ(repo_.list_read_after, repo_.next_lsn);
  EXPECT_EQ(boost::json::parse(listing.body).at("items").at(0).at("price").as_int64(), 99000);
  EXPECT_TRUE(run(service_.list(q)).hit);
  // A product loaded on a miss after the write reads at the write's position too.
  store_.values.erase("mc:product:42");
  run(service_.product(42));
  EXPECT_EQ(repo_.product_read_after, repo_.next_lsn);
}

TEST_F(CatalogServiceTest, AnOlderWritePublishedLateDoesNotOverwriteANewerDocument) {
  run(service_.update_product(42, new_price(99000)));
  repo_.next_lsn -= 100;  // a write that committed earlier but reaches the cache later
  run(service_.update_product(42, new_price(88000)));
  EXPECT_FALSE(store_.values.contains("mc:product:42")) << "which document is newer is unclear: the next read loads";
  EXPECT_EQ(store_.values.at("mc:catalog:lsn"), "00000016B374D848") << "the position never goes back";
  EXPECT_EQ(store_.counters.at("mc:catalog:version"), 2);
}

TEST_F(CatalogServiceTest, AWriteThatChangesNothingPublishesNothing) {
  auto missing = run(service_.update_product(7, new_price(1000)));
  EXPECT_EQ(missing.outcome, Update::Outcome::kNotFound);
  ProductChange foreign;
  foreign.stock.push_back(StockChange{"P7-RED-S", 1});
  auto refused = run(service_.update_product(42, foreign));
  EXPECT_EQ(refused.outcome, Update::Outcome::kForeignSku);
  EXPECT_EQ(refused.sku, "P7-RED-S");
  EXPECT_EQ(repo_.writes, 0);
  EXPECT_FALSE(store_.counters.contains("mc:catalog:version"));
}

TEST(CatalogServiceWithoutCache, EveryReadGoesToTheDatabaseAndNothingIsHeld) {
  net::io_context io;
  auto run = [&io]<class T>(Task<T> task) {
    auto f = net::co_spawn(io, std::move(task), net::use_future);
    io.restart();
    io.run();
    return f.get();
  };
  auto store = cache::make_null_store();
  cache::CacheAside cache{*store, 0.1};
  fakes::CatalogRepository repo;
  CacheConfig config;
  config.enabled = false;
  CatalogService service{repo, cache, config};
  for (int i = 0; i < 2; ++i) {
    auto categories = run(service.categories());
    EXPECT_FALSE(categories.hit);
    EXPECT_EQ(categories.db, "replica");
    auto page = run(service.product_by_slug("flight-jacket-42"));
    EXPECT_FALSE(page.hit);
    EXPECT_EQ(page.db, "replica");
  }
  EXPECT_EQ(repo.slug_loads, 2) << "no slug held in the thread either";
  EXPECT_EQ(repo.product_loads, 2);
  auto update = run(service.update_product(42, new_price(99000)));
  EXPECT_EQ(update.outcome, Update::Outcome::kUpdated);
  EXPECT_TRUE(update.published) << "there is no cache to tell";
}

}  // namespace
}  // namespace mc::catalog

namespace mc::catalog {
namespace {

TEST_F(CatalogServiceTest, ReadsReturnTheTypedDocumentWithTheTextThatIsCached) {
  auto miss = run(service_.product(42));
  ASSERT_NE(miss.doc, nullptr) << "made from the row on a miss";
  EXPECT_EQ(miss.doc->price, 129000);
  EXPECT_EQ(miss.body, store_.values.at("mc:product:42")) << "the text is what the cache holds";
  EXPECT_EQ(miss.body, to_json(*miss.doc));
  auto hit = run(service_.product(42));
  ASSERT_TRUE(hit.hit);
  EXPECT_EQ(hit.doc, miss.doc) << "the same text: the object made on the miss, not a parse";
  auto text = run(service_.product(42, Need::kText));
  EXPECT_EQ(text.doc, nullptr) << "the JSON API asks for the text only";
  EXPECT_EQ(text.body, miss.body);
  ListingQuery q;
  auto listing = run(service_.list(q));
  ASSERT_NE(listing.doc, nullptr);
  EXPECT_EQ(listing.doc->items.at(0).id, 42);
  EXPECT_EQ(run(service_.list(q)).doc, listing.doc);
  auto categories = run(service_.categories());
  ASSERT_NE(categories.doc, nullptr);
  EXPECT_EQ(categories.doc->at(0).slug, "outerwear");
}

TEST_F(CatalogServiceTest, AChangedCachedTextIsParsedAgainNeverServedStale) {
  auto first = run(service_.product(42));
  // Another instance's write-through put a different document in the cache.
  auto changed = *first.doc;
  changed.price = 99000;
  store_.values["mc:product:42"] = to_json(changed);
  auto second = run(service_.product(42));
  ASSERT_TRUE(second.hit);
  ASSERT_NE(second.doc, nullptr);
  EXPECT_EQ(second.doc->price, 99000);
  EXPECT_EQ(run(service_.product(42)).doc, second.doc) << "and the new object is reused from then on";
  EXPECT_EQ(repo_.product_loads, 1);
}

TEST_F(CatalogServiceTest, AWriteThroughRemembersTheWrittenDocument) {
  run(service_.product(42));
  auto update = run(service_.update_product(42, new_price(99000)));
  ASSERT_EQ(update.outcome, Update::Outcome::kUpdated);
  auto after = run(service_.product(42));
  ASSERT_TRUE(after.hit);
  ASSERT_NE(after.doc, nullptr);
  EXPECT_EQ(after.doc->price, 99000);
}

TEST_F(CatalogServiceTest, AMalformedCachedTextIsFoundButHasNoDocument) {
  store_.values["mc:product:42"] = "{not json";
  auto s = run(service_.product(42));
  EXPECT_TRUE(s.found);
  EXPECT_EQ(s.doc, nullptr);
  EXPECT_THROW(document(s), std::runtime_error);
  EXPECT_EQ(run(service_.product(42, Need::kText)).body, "{not json") << "the API sends what is cached, as today";
}

}  // namespace
}  // namespace mc::catalog
