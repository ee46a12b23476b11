// The catalog's SQL against a real, seeded PostgreSQL: every listing shape is valid SQL and returns what its
// filters and sort promise.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <stdexcept>

#include "catalog/palette.hpp"
#include "catalog/query.hpp"
#include "catalog/repository.hpp"
#include "catalog/seed.hpp"
#include "db/migrate.hpp"
#include "integration/seeded_database.hpp"

namespace mc::catalog {
namespace {

namespace net = boost::asio;

class CatalogRepositoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = testing::seeded_database("catalog_repo", 1500); }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(db_, nullptr) << "no scratch database (see the first failure)";
    DbConfig config;
    config.primary = db_->conninfo();
    cluster_ = db::make_cluster(io_, config);
    repo_ = make_pg_repository(*cluster_);
  }
  void TearDown() override {
    repo_.reset();
    if (cluster_) cluster_->close();
    cluster_.reset();
    io_.restart();
    io_.run_for(std::chrono::seconds(2));
  }

  template <class T>
  T run(Task<T> task) {
    // The cluster's connections keep the io_context busy for ever: run until the answer is there.
    auto f = net::co_spawn(io_, std::move(task), net::use_future);
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      throw std::runtime_error("query did not finish");
    return f.get();
  }

  Listing list(const ListingQuery& q) { return run(repo_->list(q)).value; }

  static testing::ScratchDatabase* db_;
  net::io_context io_;
  std::unique_ptr<db::Cluster> cluster_;
  std::unique_ptr<CatalogRepository> repo_;
};

testing::ScratchDatabase* CatalogRepositoryTest::db_ = nullptr;

TEST_F(CatalogRepositoryTest, CategoriesCountEveryProduct) {
  auto r = run(repo_->categories());
  EXPECT_EQ(r.served_by, "primary");  // no replicas configured
  std::int64_t total = 0;
  for (const auto& c : r.value) total += c.count;
  EXPECT_EQ(total, 1500);
  ASSERT_FALSE(r.value.empty());
  EXPECT_EQ(r.value.front().slug, "outerwear");
}

TEST_F(CatalogRepositoryTest, ProductBySlugAndIdAgree) {
  auto listing = list(ListingQuery{});
  ASSERT_FALSE(listing.items.empty());
  const auto& first = listing.items.front();
  auto id = run(repo_->product_id_by_slug(first.slug)).value;
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, first.id);
  auto product = run(repo_->product(*id)).value;
  ASSERT_TRUE(product);
  EXPECT_EQ(product->slug, first.slug);
  EXPECT_FALSE(product->variants.empty());
  EXPECT_FALSE(run(repo_->product(987654321)).value);
  EXPECT_FALSE(run(repo_->product_id_by_slug("no-such-slug")).value);
}

TEST_F(CatalogRepositoryTest, EveryShapeKeepsItsPromises) {
  const std::vector<Sort> sorts = {Sort::kNew, Sort::kPriceAsc, Sort::kPriceDesc, Sort::kName, Sort::kRelevance};
  int shapes = 0;
  for (int mask = 0; mask < 64; ++mask) {
    for (Sort sort : sorts) {
      ListingQuery q;
      if (mask & 1) q.category = "outerwear";
      if (mask & 2) q.size = "M";
      if (mask & 4) q.color = "black";
      if (mask & 8) q.min_price = 30000;
      if (mask & 16) q.max_price = 250000;
      if (mask & 32) q.terms = {"jacket"};
      q.sort = sort;
      q.per_page = 50;
      q.name_in_korean = (mask % 3) == 0;
      auto l = list(q);
      ++shapes;
      EXPECT_LE(static_cast<std::int64_t>(l.items.size()), l.total);
      for (std::size_t i = 0; i < l.items.size(); ++i) {
        const auto& s = l.items[i];
        if (q.category) {
          EXPECT_EQ(s.category, *q.category);
        }
        if (q.min_price) {
          EXPECT_GE(s.price, *q.min_price);
        }
        if (q.max_price) {
          EXPECT_LE(s.price, *q.max_price);
        }
        if (q.color) {
          EXPECT_NE(std::find(s.colors.begin(), s.colors.end(), *q.color), s.colors.end());
        }
        if (q.size || q.color) {
          EXPECT_TRUE(s.in_stock);
        }
        if (i == 0) continue;
        const auto& prev = l.items[i - 1];
        if (sort == Sort::kPriceAsc) {
          EXPECT_LE(prev.price, s.price);
        }
        if (sort == Sort::kPriceDesc) {
          EXPECT_GE(prev.price, s.price);
        }
        if (sort == Sort::kName) {
          EXPECT_LE(q.name_in_korean ? prev.name.ko : prev.name.en, q.name_in_korean ? s.name.ko : s.name.en);
        }
      }
    }
  }
  EXPECT_EQ(shapes, 320);
}

TEST_F(CatalogRepositoryTest, SizeAndColourMeanAVariantInStock) {
  ListingQuery q;
  q.size = "M";
  q.color = "black";
  q.per_page = 20;
  auto l = list(q);
  ASSERT_FALSE(l.items.empty());
  for (const auto& s : l.items) {
    auto p = run(repo_->product(s.id)).value;
    ASSERT_TRUE(p);
    EXPECT_TRUE(std::any_of(p->variants.begin(), p->variants.end(), [](const Variant& v) {
      return v.size == "M" && v.color == "black" && v.stock > 0;
    })) << s.slug;
  }
}

TEST_F(CatalogRepositoryTest, PagesDoNotOverlapAndTotalsAgree) {
  ListingQuery q;
  q.category = "tops";
  q.per_page = 10;
  auto p1 = list(q);
  q.page = 2;
  auto p2 = list(q);
  EXPECT_EQ(p1.total, p2.total);
  for (const auto& a : p1.items) {
    for (const auto& b : p2.items) EXPECT_NE(a.id, b.id);
  }
}

TEST_F(CatalogRepositoryTest, KoreanAndEnglishSearchFindFlightJackets) {
  for (auto text : {"항공 점퍼", "항공점퍼", "Flight Jacket", "FLIGHT jack", "ma-1"}) {
    ListingQuery q;
    q.terms = search_terms(text);
    q.sort = Sort::kRelevance;
    auto l = list(q);
    ASSERT_FALSE(l.items.empty()) << text;
    const auto& top = l.items.front();
    EXPECT_TRUE(top.name.ko.find("항공") != std::string::npos || top.name.en.find("Flight") != std::string::npos)
        << text << " -> " << top.name.ko << " / " << top.name.en;
  }
}

TEST_F(CatalogRepositoryTest, WildcardsInSearchAreLiteral) {
  ListingQuery q;
  q.terms = {"%"};
  EXPECT_EQ(list(q).total, 0);
  q.terms = {"_"};
  EXPECT_EQ(list(q).total, 0);
}

TEST_F(CatalogRepositoryTest, AnAdminChangeIsOneTransactionOnThePrimary) {
  ListingQuery bottoms;
  bottoms.category = "bottoms";
  auto listing = list(bottoms);
  ASSERT_FALSE(listing.items.empty());
  const std::int64_t id = listing.items.front().id;
  const auto before = run(repo_->product(id)).value;
  ASSERT_TRUE(before);
  ASSERT_GE(before->variants.size(), 2u);

  ProductChange change;
  change.name_en = "Renamed Zebrawood Trousers";
  change.description_ko = "새 설명";
  change.price = 12340;
  change.stock.push_back(StockChange{before->variants[0].sku, 9});
  const auto written = run(repo_->update_product(id, change));
  ASSERT_EQ(written.outcome, ProductWrite::Outcome::kUpdated);
  EXPECT_GT(written.lsn, 0u) << "a WAL position at or after the commit";
  ASSERT_TRUE(written.product);
  const auto& p = *written.product;
  EXPECT_EQ(p.price, 12340);
  EXPECT_EQ(p.name.en, "Renamed Zebrawood Trousers");
  EXPECT_EQ(p.name.ko, before->name.ko) << "fields not given stay";
  EXPECT_EQ(p.description.ko, "새 설명");
  EXPECT_EQ(p.description.en, before->description.en);
  EXPECT_EQ(p.slug, before->slug);
  EXPECT_EQ(p.variants[0].stock, 9);
  EXPECT_EQ(p.variants[1].stock, before->variants[1].stock);
  ListingQuery search;
  search.terms = {"zebrawood"};
  auto found = list(search);
  ASSERT_EQ(found.total, 1) << "the search text follows the name";
  EXPECT_EQ(found.items.front().id, id);
  auto read = run(repo_->product_after(id, written.lsn));
  EXPECT_EQ(read.served_by, "primary");
  ASSERT_TRUE(read.value);
  EXPECT_EQ(read.value->price, 12340);

  // One SKU that is not the product's: nothing changes, not even the price.
  ProductChange foreign;
  foreign.price = 1;
  foreign.stock.push_back(StockChange{before->variants[1].sku, 1});
  foreign.stock.push_back(StockChange{"NO-SUCH-SKU", 1});
  const auto refused = run(repo_->update_product(id, foreign));
  EXPECT_EQ(refused.outcome, ProductWrite::Outcome::kForeignSku);
  EXPECT_EQ(refused.sku, "NO-SUCH-SKU");
  const auto after = run(repo_->product(id)).value;
  ASSERT_TRUE(after);
  EXPECT_EQ(after->price, 12340);
  EXPECT_EQ(after->variants[1].stock, before->variants[1].stock);

  EXPECT_EQ(run(repo_->update_product(987654321, change)).outcome, ProductWrite::Outcome::kNotFound);
}

}  // namespace
}  // namespace mc::catalog
