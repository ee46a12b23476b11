#include "catalog/seed.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "catalog/palette.hpp"
#include "db/migrate.hpp"
#include "integration/db/scratch_database.hpp"

namespace mc::catalog {
namespace {

const std::string kProjectMigrations = std::string(MYCLOTHES_SOURCE_DIR) + "/db/migrations";

class SeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto admin = mc::testing::primary_conninfo();
    if (!admin) GTEST_FAIL();
    admin_ = *admin;
    scratch_ = make_migrated("seed");
  }

  std::unique_ptr<mc::testing::ScratchDatabase> make_migrated(std::string_view prefix) {
    auto db = std::make_unique<mc::testing::ScratchDatabase>(admin_, prefix);
    auto migrated = db::migrate(db->conninfo(), kProjectMigrations, nullptr);
    EXPECT_TRUE(migrated) << migrated.error();
    return db;
  }

  std::int64_t scalar(const std::string& sql) { return scratch_->connect().exec(sql).int64(0, 0); }

  std::string admin_;
  std::unique_ptr<mc::testing::ScratchDatabase> scratch_;
};

// Every index and constraint of the catalog tables, as PostgreSQL would recreate it.
std::string schema_of(mc::testing::ScratchDatabase& db) {
  const auto r = db.connect().exec(R"(
    SELECT string_agg(def, E'\n' ORDER BY def) FROM (
      SELECT indexdef AS def FROM pg_indexes WHERE tablename IN ('products', 'product_variants')
      UNION ALL
      SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
       WHERE conrelid IN ('products'::regclass, 'product_variants'::regclass)) d)");
  return std::string(r.text(0, 0));
}

TEST_F(SeedTest, FillsAnEmptyCatalogWithTheGeneratedRows) {
  const std::string schema_before = schema_of(*scratch_);
  ASSERT_NE(schema_before.find("gin_trgm_ops"), std::string::npos) << schema_before;
  ASSERT_NE(schema_before.find("FOREIGN KEY (color)"), std::string::npos) << schema_before;
  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  auto report = seed_catalog(scratch_->conninfo(), SeedOptions{2000, 1}, false,
                             [&](std::int64_t done, std::int64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(report) << report.error();

  std::int64_t expected_variants = 0;
  const CatalogGenerator gen(1);
  for (std::int64_t id = 1; id <= 2000; ++id)
    expected_variants += static_cast<std::int64_t>(gen.product(id).variants.size());

  EXPECT_FALSE(report->skipped);
  EXPECT_EQ(report->products, 2000);
  EXPECT_EQ(report->variants, expected_variants);
  EXPECT_EQ(scalar("SELECT count(*) FROM products"), 2000);
  EXPECT_EQ(scalar("SELECT min(id) FROM products"), 1);
  EXPECT_EQ(scalar("SELECT max(id) FROM products"), 2000);
  EXPECT_EQ(scalar("SELECT count(*) FROM product_variants"), expected_variants);
  EXPECT_EQ(scalar("SELECT count(DISTINCT product_id) FROM product_variants"), 2000);
  EXPECT_EQ(scalar("SELECT count(*) FROM categories"), static_cast<std::int64_t>(categories().size()));
  EXPECT_EQ(scalar("SELECT count(*) FROM colors"), static_cast<std::int64_t>(palette().size()));

  // The seed rebuilds what it set aside for the load: indexes and foreign keys exactly as migrated.
  EXPECT_EQ(schema_of(*scratch_), schema_before);

  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(std::int64_t{2000}, std::int64_t{2000}));
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_LE(calls[i - 1].first, calls[i].first);

  // What the database holds is exactly what the generator says, UTF-8 and timestamps included.
  auto conn = scratch_->connect();
  const auto expected = gen.product(1234);
  auto row = conn.exec(
      "SELECT slug, name_ko, name_en, description_ko, keywords, price, extract(epoch FROM created_at)::bigint, "
      "(SELECT string_agg(sku || ':' || stock, ',' ORDER BY position) FROM product_variants WHERE product_id = 1234) "
      "FROM products WHERE id = 1234");
  ASSERT_EQ(row.rows(), 1);
  EXPECT_EQ(row.text(0, 0), expected.product.slug);
  EXPECT_EQ(row.text(0, 1), expected.product.name_ko);
  EXPECT_EQ(row.text(0, 2), expected.product.name_en);
  EXPECT_EQ(row.text(0, 3), expected.product.description_ko);
  EXPECT_EQ(row.text(0, 4), expected.product.keywords);
  EXPECT_EQ(row.int64(0, 5), expected.product.price);
  EXPECT_EQ(row.int64(0, 6), expected.product.created_at);
  std::string skus;
  for (const auto& v : expected.variants) skus += (skus.empty() ? "" : ",") + v.sku + ":" + std::to_string(v.stock);
  EXPECT_EQ(row.text(0, 7), skus);

  // The identity sequence continues after the seeded ids.
  EXPECT_EQ(conn.exec("INSERT INTO products (slug, category_id, name_ko, name_en, description_ko, description_en, "
                      "price) VALUES ('new-one', 1, '새 상품', 'New One', '설명', 'Text', 10000) RETURNING id")
                .int64(0, 0),
            2001);
  // ANALYZE ran: the planner knows the table's size.
  EXPECT_GT(scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'product_variants'"), 0);
}

TEST_F(SeedTest, SecondSeedSkipsOrRefusesWithoutDuplicating) {
  auto first = seed_catalog(scratch_->conninfo(), SeedOptions{500, 1}, true, nullptr);
  ASSERT_TRUE(first) << first.error();
  EXPECT_FALSE(first->skipped);
  const auto variants = scalar("SELECT count(*) FROM product_variants");

  auto skipped = seed_catalog(scratch_->conninfo(), SeedOptions{500, 1}, true, nullptr);
  ASSERT_TRUE(skipped) << skipped.error();
  EXPECT_TRUE(skipped->skipped);
  EXPECT_EQ(skipped->products, 500);

  auto refused = seed_catalog(scratch_->conninfo(), SeedOptions{500, 2}, false, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("catalog already has 500 products"), std::string::npos) << refused.error();

  EXPECT_EQ(scalar("SELECT count(*) FROM products"), 500);
  EXPECT_EQ(scalar("SELECT count(*) FROM product_variants"), variants);
}

TEST_F(SeedTest, ConcurrentSeedsFillTheCatalogOnce) {
  Expected<SeedReport, std::string> a = Unexpected(std::string("did not run"));
  Expected<SeedReport, std::string> b = Unexpected(std::string("did not run"));
  std::thread ta([&] { a = seed_catalog(scratch_->conninfo(), SeedOptions{1000, 1}, true, nullptr); });
  std::thread tb([&] { b = seed_catalog(scratch_->conninfo(), SeedOptions{1000, 1}, true, nullptr); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a) << a.error();
  ASSERT_TRUE(b) << b.error();
  EXPECT_NE(a->skipped, b->skipped) << "exactly one of them seeds";
  EXPECT_EQ(scalar("SELECT count(*) FROM products"), 1000);
}

TEST_F(SeedTest, KoreanAndEnglishSearchFindFlightJackets) {
  auto report = seed_catalog(scratch_->conninfo(), SeedOptions{2000, 1}, false, nullptr);
  ASSERT_TRUE(report) << report.error();
  const auto korean =
      scalar("SELECT count(*) FROM products WHERE search_text LIKE '%항공%' AND search_text LIKE '%점퍼%'");
  const auto english = scalar("SELECT count(*) FROM products WHERE search_text ILIKE '%flight jacket%'");
  const auto joined = scalar("SELECT count(*) FROM products WHERE search_text LIKE '%항공점퍼%'");
  const auto bomber = scalar("SELECT count(*) FROM products WHERE search_text LIKE '%ma-1%'");
  EXPECT_GT(korean, 20);
  EXPECT_EQ(english, korean);
  EXPECT_EQ(joined, korean);
  EXPECT_EQ(bomber, korean);
  EXPECT_EQ(scalar("SELECT count(*) FROM products WHERE name_en LIKE '%Flight Jacket%' AND category_id <> 1"), 0);
}

TEST_F(SeedTest, SameOptionsGiveByteIdenticalTables) {
  ASSERT_TRUE(seed_catalog(scratch_->conninfo(), SeedOptions{300, 9}, false, nullptr));
  auto other = make_migrated("seed_twin");
  ASSERT_TRUE(seed_catalog(other->conninfo(), SeedOptions{300, 9}, false, nullptr));
  const std::string digest =
      "SELECT md5(string_agg(p::text, '|' ORDER BY id)) || md5((SELECT string_agg(v::text, '|' ORDER BY sku) "
      "FROM product_variants v)) FROM products p";
  const auto mine = scratch_->connect().exec(digest);
  const auto theirs = other->connect().exec(digest);
  EXPECT_EQ(mine.text(0, 0), theirs.text(0, 0));
}

TEST_F(SeedTest, RefusesBeforeMigrationsAndBadOptions) {
  mc::testing::ScratchDatabase empty(admin_, "seed_unmigrated");
  auto result = seed_catalog(empty.conninfo(), SeedOptions{10, 1}, true, nullptr);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("migrate"), std::string::npos) << result.error();

  auto negative = seed_catalog(scratch_->conninfo(), SeedOptions{-1, 1}, false, nullptr);
  ASSERT_FALSE(negative);
  EXPECT_EQ(scalar("SELECT count(*) FROM products"), 0);
}

}  // namespace
}  // namespace mc::catalog
