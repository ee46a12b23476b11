#include "order/order.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

#include "cache/cache.hpp"
#include "catalog/service.hpp"
#include "fakes/cache_store.hpp"
#include "fakes/catalog_repository.hpp"
#include "fakes/order_repository.hpp"
#include "unit/run_task.hpp"

namespace mc::order {
namespace {

using mc::testing::run;

Address home() {
  Address a;
  a.recipient = "김민지";
  a.line1 = "테헤란로 1";
  a.city = "서울";
  a.postal_code = "06236";
  a.country = "KR";
  a.phone = "+82 10-1234-5678";
  return a;
}

TEST(AddressRules, AFullAddressIsValid) { EXPECT_FALSE(validate(home())); }

TEST(AddressRules, EachFieldIsCheckedAndNamed) {
  auto field_of = [](Address a) {
    auto e = validate(a);
    return e ? e->field : std::string("ok");
  };
  auto a = home();
  a.recipient = "";
  EXPECT_EQ(field_of(a), "recipient");
  a = home();
  a.line1 = std::string(201, 'x');
  EXPECT_EQ(field_of(a), "line1");
  a = home();
  a.line1.clear();
  for (int i = 0; i < 200; ++i) a.line1 += "길";  // 200 characters, 600 bytes
  EXPECT_EQ(field_of(a), "ok");
  a = home();
  a.city = " ";
  EXPECT_EQ(field_of(a), "city");
  a = home();
  a.postal_code = "06236; DROP";
  EXPECT_EQ(field_of(a), "postal_code");
  a = home();
  a.country = "kr";
  EXPECT_EQ(field_of(a), "country");
  a = home();
  a.country = "KOR";
  EXPECT_EQ(field_of(a), "country");
  a = home();
  a.phone = "call me";
  EXPECT_EQ(field_of(a), "phone");
  EXPECT_EQ(validate(a)->code, Error::Code::kInvalidInput);
}

TEST(AddressJson, RoundTripsTheApiShape) {
  auto a = home();
  a.id = 7;
  a.is_default = true;
  auto o = to_json(a);
  for (const char* key :
       {"id", "recipient", "line1", "line2", "city", "postal_code", "country", "phone", "is_default"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  auto back = address_from_json(o);
  EXPECT_EQ(back.recipient, a.recipient);
  EXPECT_EQ(back.phone, a.phone);
  EXPECT_TRUE(back.is_default);
  EXPECT_FALSE(address_from_json(boost::json::object{{"is_default", "yes"}}).is_default) << "only a JSON true";
}

TEST(IdempotencyKeys, AreOneToOneHundredPrintableCharacters) {
  EXPECT_TRUE(valid_idempotency_key("3f2b9c1e-checkout"));
  EXPECT_FALSE(valid_idempotency_key(""));
  EXPECT_FALSE(valid_idempotency_key(std::string(101, 'k')));
  EXPECT_FALSE(valid_idempotency_key("has space"));
  EXPECT_FALSE(valid_idempotency_key("tab\there"));
}

// OrderService over fakes: the checkout's steps around place_order, and the address rules.
class OrderServiceTest : public ::testing::Test {
 protected:
  OrderServiceTest() {
    repo_.stock = {{"P42-BLACK-M", 3}, {"P42-BLACK-L", 0}};
    repo_.prices = {{"P42-BLACK-M", 129000}, {"P42-BLACK-L", 129000}};
    address_ = run(orders_.add_address(kUser, home()))->id;
    shopper_ = run(sessions_->rotate(run(sessions_->create()), kUser));
  }

  std::vector<session::CartLine> cart() { return run(sessions_->cart(shopper_)); }

  static constexpr std::int64_t kUser = 7;
  std::unique_ptr<fakes::OrderRepository> owned_ = std::make_unique<fakes::OrderRepository>();
  fakes::OrderRepository& repo_ = *owned_;
  fakes::CacheStore store_;
  cache::CacheAside cache_{store_, 0.1};
  fakes::CatalogRepository catalog_repo_;
  catalog::CatalogService catalog_{catalog_repo_, cache_, CacheConfig{}};
  std::shared_ptr<session::SessionStore> sessions_ = session::make_memory_store();
  OrderService orders_{std::move(owned_), *sessions_, catalog_};
  std::int64_t address_ = 0;
  session::Session shopper_;
};

TEST_F(OrderServiceTest, ANewOrderEmptiesTheCartAndTakesItsProductsOutOfTheCache) {
  run(sessions_->set(shopper_, "P42-BLACK-M", 2));
  ASSERT_TRUE(run(catalog_.product(42)).found);
  ASSERT_TRUE(store_.values.contains("mc:product:42"));
  auto placed = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_TRUE(placed) << placed.error().message;
  EXPECT_TRUE(placed->created);
  EXPECT_EQ(placed->written, repo_.next_lsn);
  EXPECT_EQ(placed->order.at("total").as_int64(), 258000);
  EXPECT_EQ(repo_.read_after, std::numeric_limits<db::Lsn>::max()) << "the order just placed is read on the primary";
  EXPECT_TRUE(cart().empty());
  EXPECT_FALSE(store_.values.contains("mc:product:42")) << "its stock changed";
  EXPECT_EQ(store_.values.at("mc:catalog:lsn"), "00000016B374D848") << "its next load must see the order";
}

TEST_F(OrderServiceTest, ARetriedCheckoutAnswersWithTheSameOrder) {
  run(sessions_->set(shopper_, "P42-BLACK-M", 1));
  auto first = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_TRUE(first);
  // The cart is empty now: the retry finds the order by its key.
  auto retry = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_FALSE(retry->created);
  EXPECT_EQ(retry->written, 0u);
  EXPECT_EQ(retry->order.at("id"), first->order.at("id"));
  EXPECT_EQ(repo_.place_calls, 1);
  // With something in the cart again, the same key still answers with that order and leaves the cart be.
  run(sessions_->set(shopper_, "P42-BLACK-M", 1));
  auto again = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->order.at("id"), first->order.at("id"));
  EXPECT_EQ(cart().size(), 1u);
  EXPECT_EQ(repo_.placed.size(), 1u);
}

TEST_F(OrderServiceTest, ARetryFinishesTheFirstAttemptsClearWhenTheCartIsTheOneOrdered) {
  // The first attempt made the order, then its clear of the cart was lost (the session store failed over).
  run(sessions_->set(shopper_, "P42-BLACK-M", 1));
  const auto version = run(sessions_->snapshot(shopper_)).version;
  ASSERT_FALSE(version.empty());
  repo_.placed.push_back(
      {.id = 1, .user_id = kUser, .key = "key-1", .lines = cart(), .total = 129000, .cart_version = version});
  auto retry = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_FALSE(retry->created);
  EXPECT_TRUE(cart().empty()) << "the cart that made the order goes, or the next checkout orders it again";
  EXPECT_EQ(repo_.placed.size(), 1u);
}

TEST_F(OrderServiceTest, AnOrderThatCannotBeFilledNamesTheLineAndChangesNothing) {
  run(sessions_->set(shopper_, "P42-BLACK-M", 5));
  ASSERT_TRUE(run(catalog_.product(42)).found);
  auto refused = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Error::Code::kInsufficientStock);
  EXPECT_EQ(refused.error().sku, "P42-BLACK-M");
  EXPECT_EQ(refused.error().available, 3);
  EXPECT_EQ(refused.error().message, "only 3 of P42-BLACK-M left; change the quantity and try again");
  EXPECT_EQ(cart().size(), 1u);
  EXPECT_TRUE(store_.values.contains("mc:product:42"));
}

TEST_F(OrderServiceTest, ACheckoutIsRefusedBeforeTheDatabaseWhenThereIsNothingToOrder) {
  auto no_key = run(orders_.checkout(shopper_, address_, ""));
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().field, "Idempotency-Key");
  auto empty = run(orders_.checkout(shopper_, address_, "key-1"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Error::Code::kEmptyCart);
  // Lines no order could hold never reach place_order.
  run(sessions_->set(shopper_, "P42-BLACK-M", 1));
  run(sessions_->set(shopper_, "P42 BLACK;M", 1));
  run(sessions_->set(shopper_, "P42-BLACK-L", 100));
  auto placed = run(orders_.checkout(shopper_, address_, "key-2"));
  ASSERT_TRUE(placed) << placed.error().message;
  ASSERT_EQ(repo_.last_lines.size(), 1u);
  EXPECT_EQ(repo_.last_lines[0].sku, "P42-BLACK-M");
  EXPECT_EQ(repo_.place_calls, 1);
}

TEST_F(OrderServiceTest, AnotherAccountsAddressIsNoAddress) {
  run(sessions_->set(shopper_, "P42-BLACK-M", 1));
  const auto theirs = run(orders_.add_address(kUser + 1, home()))->id;
  auto refused = run(orders_.checkout(shopper_, theirs, "key-1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "address_id");
  EXPECT_FALSE(run(orders_.update_address(kUser, theirs, home())));
  EXPECT_EQ(run(orders_.update_address(kUser, theirs, home())).error().code, Error::Code::kNotFound);
  EXPECT_FALSE(run(orders_.delete_address(kUser, theirs)));
}

TEST_F(OrderServiceTest, TheFirstAddressIsTheDefaultUntilAnotherIsMadeIt) {
  auto second = run(orders_.add_address(kUser, home()));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->is_default);
  auto third = home();
  third.city = "부산";
  third.is_default = true;
  auto made = run(orders_.add_address(kUser, third));
  ASSERT_TRUE(made);
  EXPECT_TRUE(made->is_default);
  auto all = run(orders_.addresses(kUser));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, made->id);
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const Address& a) { return a.is_default; }), 1);
  // An update that asks for it moves the default back; the answer is the address as saved.
  auto first = home();
  first.is_default = true;
  first.phone = "010-0000-0000";
  auto updated = run(orders_.update_address(kUser, address_, first));
  ASSERT_TRUE(updated);
  EXPECT_TRUE(updated->is_default);
  EXPECT_EQ(updated->phone, "010-0000-0000");
  EXPECT_EQ(run(orders_.addresses(kUser))[0].id, address_);
}

TEST_F(OrderServiceTest, AnAccountKeepsAtMostTwentyAddresses) {
  for (int i = 1; i < kMaxAddresses; ++i) ASSERT_TRUE(run(orders_.add_address(kUser, home())));
  auto over = run(orders_.add_address(kUser, home()));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().field, "addresses");
  auto bad = home();
  bad.country = "kr";
  EXPECT_EQ(run(orders_.add_address(kUser, bad)).error().field, "country") << "validation comes first";
}

}  // namespace
}  // namespace mc::order
