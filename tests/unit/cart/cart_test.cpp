#include "cart/cart.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cache/cache.hpp"
#include "catalog/service.hpp"
#include "fakes/catalog_repository.hpp"
#include "unit/run_task.hpp"

namespace mc::cart {
namespace {

using mc::testing::run;

TEST(Sku, NamesItsProduct) {
  EXPECT_EQ(product_id_of("P42-BLACK-M"), 42);
  EXPECT_EQ(product_id_of("P1-NAVY-XXL"), 1);
  EXPECT_FALSE(product_id_of("P-BLACK-M"));
  EXPECT_FALSE(product_id_of("P0-BLACK-M"));
  EXPECT_FALSE(product_id_of("Q42-BLACK-M"));
  EXPECT_FALSE(product_id_of("P42"));
  EXPECT_FALSE(product_id_of("P4x2-BLACK-M"));
  EXPECT_FALSE(product_id_of(""));
  EXPECT_FALSE(product_id_of(std::string(65, 'P')));
}

TEST(Quantity, IsOneToNinetyNineAndZeroOnlyToRemove) {
  EXPECT_TRUE(valid_quantity(1, false));
  EXPECT_TRUE(valid_quantity(99, false));
  EXPECT_FALSE(valid_quantity(0, false));
  EXPECT_TRUE(valid_quantity(0, true));
  EXPECT_FALSE(valid_quantity(100, true));
  EXPECT_FALSE(valid_quantity(-1, true));
}

class CartServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<cache::Store> store_ = cache::make_null_store();
  cache::CacheAside cache_{*store_, 0.1};
  fakes::CatalogRepository repo_;  // product 42: black M (3 in stock), black L (sold out)
  catalog::CatalogService catalog_{repo_, cache_, CacheConfig{}};
  // The store of mode sticky: the same rules as the Redis store, in memory.
  std::shared_ptr<session::SessionStore> sessions_ = session::make_memory_store();
  CartService cart_{*sessions_, catalog_};
  session::Session s_ = run(sessions_->create());
};

TEST_F(CartServiceTest, AddingTheSameSkuAddsQuantitiesAndPricesComeFromTheCatalog) {
  ASSERT_TRUE(run(cart_.add(s_, "P42-BLACK-M", 1)));
  auto c = run(cart_.add(s_, "P42-BLACK-M", 1));
  ASSERT_TRUE(c);
  ASSERT_EQ(c->items.size(), 1u);
  EXPECT_EQ(c->items[0].qty, 2);
  EXPECT_EQ(c->items[0].unit_price, 129000);
  EXPECT_EQ(c->count, 2);
  EXPECT_EQ(c->total, 258000);
  repo_.products.at(42).price = 99000;  // a new price shows in the cart at once (no cache here)
  auto later = run(cart_.view(&s_));
  EXPECT_EQ(later.total, 198000);
}

TEST_F(CartServiceTest, NeverMoreThanInStockAndNothingChangesWhenRefused) {
  ASSERT_TRUE(run(cart_.add(s_, "P42-BLACK-M", 2)));
  auto over = run(cart_.add(s_, "P42-BLACK-M", 2));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Error::Code::kInsufficientStock);
  EXPECT_EQ(over.error().code, Error::Code::kInsufficientStock);
  EXPECT_EQ(run(cart_.view(&s_)).count, 2);
  auto sold_out = run(cart_.add(s_, "P42-BLACK-L", 1));
  ASSERT_FALSE(sold_out);
  EXPECT_EQ(sold_out.error().code, Error::Code::kInsufficientStock);
  EXPECT_FALSE(run(cart_.set(s_, "P42-BLACK-M", 4)));
  EXPECT_EQ(run(cart_.view(&s_)).count, 2);
}

TEST_F(CartServiceTest, UnknownSkusAndBadQuantitiesAreRefused) {
  auto unknown = run(cart_.add(s_, "P42-PINK-M", 1));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Error::Code::kUnknownSku);
  EXPECT_EQ(run(cart_.add(s_, "P7-BLACK-M", 1)).error().code, Error::Code::kUnknownSku);
  EXPECT_EQ(run(cart_.add(s_, "P42-BLACK-M", 0)).error().code, Error::Code::kInvalidQuantity);
  EXPECT_EQ(run(cart_.add(s_, "P42-BLACK-M", 100)).error().code, Error::Code::kInvalidQuantity);
}

TEST_F(CartServiceTest, ACartHoldsAtMostFiftyLines) {
  for (std::size_t i = 0; i < kMaxLines; ++i) {
    run(sessions_->add(s_, "P42-X-" + std::to_string(i), 1, kMaxLineQty, static_cast<int>(kMaxLines)));
  }
  auto full = run(cart_.add(s_, "P42-BLACK-M", 1));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Error::Code::kTooManyLines);
  EXPECT_EQ(full.error().code, Error::Code::kTooManyLines);
}

TEST_F(CartServiceTest, SettingZeroRemovesTheLine) {
  ASSERT_TRUE(run(cart_.add(s_, "P42-BLACK-M", 1)));
  auto c = run(cart_.set(s_, "P42-BLACK-M", 0));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->items.empty());
  EXPECT_EQ(c->count, 0);
}

TEST_F(CartServiceTest, ALineThatSoldOutWhileInTheCartIsMarkedNotDropped) {
  ASSERT_TRUE(run(cart_.add(s_, "P42-BLACK-M", 3)));
  repo_.products.at(42).variants.at(0).stock = 1;  // black M
  auto c = run(cart_.view(&s_));
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_FALSE(c.items[0].available);
  EXPECT_EQ(c.items[0].stock, 1);
  EXPECT_EQ(c.items[0].qty, 3);
}

TEST_F(CartServiceTest, AtLoginTheGuestCartJoinsTheAccountCartCappedAtStock) {
  session::Session account{"", 7};
  ASSERT_TRUE(run(cart_.add(account, "P42-BLACK-M", 2)));  // from another browser, earlier
  ASSERT_TRUE(run(cart_.add(s_, "P42-BLACK-M", 2)));
  run(cart_.merge_into_user(s_, 7));
  auto merged = run(cart_.view(&account));
  ASSERT_EQ(merged.items.size(), 1u);
  EXPECT_EQ(merged.items[0].qty, 3) << "2 + 2, capped at the 3 in stock";
  EXPECT_TRUE(run(cart_.view(&s_)).items.empty()) << "the guest cart is gone";
}

TEST_F(CartServiceTest, InCookieModeACartThatWouldNotFitItsCookieIsRefusedWith413AndStaysAsItWas) {
  session::CookieSessionOptions options;
  options.keys = *session::parse_cookie_keys(session::new_cookie_key("k1"));
  auto cookies = session::make_cookie_store(options);
  CartService cart{*cookies, catalog_, 1000};
  auto s = run(cookies->create());
  // Fill the cookie with lines shorter than the one added next, straight through the store; then the cart.
  for (int i = 1; i < 1000; ++i) {
    auto added = run(cookies->add(s, "P" + std::to_string(10000 + i) + "-X", 99, 99, 1000));  // shorter lines
    if (added.status == session::AddResult::Status::kTooLarge) break;
  }
  const auto before = s.id;
  ASSERT_LE(before.size() + std::string("mc_state=").size(), 4096u);
  auto refused = run(cart.add(s, "P42-BLACK-M", 1));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Error::Code::kTooLargeForCookie);
  EXPECT_EQ(refused.error().code, Error::Code::kTooLargeForCookie);
  EXPECT_EQ(s.id, before) << "the cart stays as it was";
}

TEST_F(CartServiceTest, TheJsonHasTheApiShape) {
  auto c = run(cart_.add(s_, "P42-BLACK-M", 2));
  ASSERT_TRUE(c);
  auto doc = boost::json::parse(to_json(*c)).as_object();
  EXPECT_EQ(doc.at("count").as_int64(), 2);
  EXPECT_EQ(doc.at("total").as_int64(), 258000);
  EXPECT_EQ(doc.at("currency").as_string(), "KRW");
  const auto& line = doc.at("items").at(0).as_object();
  for (const char* key : {"sku", "product_id", "name", "size", "color", "qty", "unit_price", "line_total"}) {
    EXPECT_TRUE(line.contains(key)) << key;
  }
  EXPECT_EQ(line.at("name").at("ko").as_string(), "항공 점퍼");
  EXPECT_EQ(line.at("line_total").as_int64(), 258000);
}

}  // namespace
}  // namespace mc::cart
