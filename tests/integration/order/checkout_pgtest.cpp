// Checkout against real PostgreSQL (a scratch database) and Redis: stock never goes negative under racing
// checkouts, a retried request makes no second order, a checkout that cannot be filled changes nothing.
#include "order/order.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>

#include "cache/cache.hpp"
#include "catalog/repository.hpp"
#include "catalog/seed.hpp"
#include "catalog/service.hpp"
#include "db/database.hpp"
#include "db/migrate.hpp"
#include "integration/db/scratch_database.hpp"
#include "integration/io_loop_test.hpp"
#include "redis/client.hpp"
#include "session/session.hpp"

namespace mc::order {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kSku = "P1-RACE-M";

class CheckoutTest : public testing::IoLoopTest {
 protected:
  void SetUp() override {
    auto admin = testing::primary_conninfo();
    ASSERT_TRUE(admin);
    db_ = std::make_unique<testing::ScratchDatabase>(*admin, "checkout");
    auto applied =
        db::migrate(db_->conninfo(), std::string(MYCLOTHES_SOURCE_DIR) + "/db/migrations", [](std::string_view) {});
    ASSERT_TRUE(applied) << applied.error();
    catalog::SeedOptions options;
    options.products = 20;
    ASSERT_TRUE(catalog::seed_catalog(db_->conninfo(), options, false, [](std::int64_t, std::int64_t) {}));
    sql_ = std::make_unique<db::BlockingConnection>(testing::connect_or_throw(db_->conninfo()));
    sql_->exec(
        "INSERT INTO colors (code, name_ko, name_en, hex) VALUES ('race', '레이스', 'Race', '#123456') "
        "ON CONFLICT DO NOTHING");
    sql_->exec(
        "INSERT INTO product_variants (sku, product_id, size, color, stock, position) "
        "VALUES ($1, 1, 'M', 'race', 3, 99)",
        {std::string(kSku)});

    auto rc = test_redis();
    ASSERT_TRUE(rc);
    DbConfig dbc;
    dbc.primary = db_->conninfo();
    dbc.pool_size = 8;  // real concurrency in PostgreSQL
    cluster_ = db::make_cluster(io_, dbc);
    redis_ = redis::make_client(io_, *rc);
    redis_->start();
    pump([&] { return redis_->connected(); });
    store_ = cache::make_redis_store(redis_);
    cache_ = std::make_unique<cache::CacheAside>(*store_, 0.1);
    repository_ = catalog::make_pg_repository(*cluster_);
    catalog_ = std::make_unique<catalog::CatalogService>(*repository_, *cache_, CacheConfig{});
    sessions_ = session::make_redis_store(redis_);
    orders_ = std::make_unique<OrderService>(make_pg_repository(*cluster_), *sessions_, *catalog_);
  }

  void TearDown() override {
    orders_.reset();
    if (redis_) redis_->stop();
    if (cluster_) cluster_->close();
    drain();
  }

  // A user with an address and a session whose cart holds `qty` of `sku`.
  struct Shopper {
    session::Session session;
    std::int64_t address = 0;
  };
  Shopper shopper(int n, int qty, const std::string& sku = kSku) {
    // Ids of their own: carts live in the Redis that parallel tests (other scratch databases) share.
    const std::int64_t id = 1'000'000'000LL + static_cast<std::int64_t>(::getpid()) * 1000 + n;
    auto u = sql_->exec(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1::bigint, $2, 'Racer', 'x') RETURNING id",
        {std::to_string(id), fmt::format("racer{}-{}@example.com", n, ::getpid())});
    const std::int64_t user = u.int64(0, 0);
    auto a = sql_->exec(
        "INSERT INTO addresses (user_id, recipient, line1, city, postal_code, country, is_default) "
        "VALUES ($1::bigint, 'R', 'L1', 'Seoul', '06236', 'KR', true) RETURNING id",
        {std::to_string(user)});
    auto guest = run(sessions_->create());
    auto s = run(sessions_->rotate(guest, user));
    run(sessions_->set(s, sku, qty));
    return Shopper{s, a.int64(0, 0)};
  }

  std::int64_t stock(const std::string& sku = kSku) {
    return sql_->exec("SELECT stock FROM product_variants WHERE sku = $1", {sku}).int64(0, 0);
  }
  std::int64_t orders_count() { return sql_->exec("SELECT count(*) FROM orders").int64(0, 0); }

  std::unique_ptr<testing::ScratchDatabase> db_;
  std::unique_ptr<db::BlockingConnection> sql_;
  std::unique_ptr<db::Cluster> cluster_;
  std::shared_ptr<redis::Client> redis_;
  std::unique_ptr<cache::Store> store_;
  std::unique_ptr<cache::CacheAside> cache_;
  std::unique_ptr<catalog::CatalogRepository> repository_;
  std::unique_ptr<catalog::CatalogService> catalog_;
  std::unique_ptr<session::SessionStore> sessions_;
  std::unique_ptr<OrderService> orders_;
};

TEST_F(CheckoutTest, RacingCheckoutsForTheLastUnitsMakeExactlyThatManyOrders) {
  constexpr int kShoppers = 24;
  std::vector<Shopper> shoppers;
  shoppers.reserve(kShoppers);
  for (int i = 0; i < kShoppers; ++i) shoppers.push_back(shopper(i, 1));
  int created = 0;
  int refused = 0;
  int done = 0;
  for (int i = 0; i < kShoppers; ++i) {
    net::co_spawn(
        io_,
        [&, i]() -> Task<void> {
          auto key = fmt::format("race-{}", i);
          auto r = co_await orders_->checkout(shoppers[static_cast<std::size_t>(i)].session,
                                              shoppers[static_cast<std::size_t>(i)].address, std::move(key));
          if (r) {
            ++created;
          } else if (r.error().code == Error::Code::kInsufficientStock) {
            EXPECT_EQ(r.error().sku, kSku);
            ++refused;
          }
          ++done;
        },
        [](const std::exception_ptr& e) {
          if (e) std::rethrow_exception(e);
        });
  }
  pump([&] { return done == kShoppers; }, 60000ms);
  ASSERT_EQ(done, kShoppers);
  EXPECT_EQ(created, 3);
  EXPECT_EQ(refused, kShoppers - 3);
  EXPECT_EQ(stock(), 0);
  EXPECT_EQ(orders_count(), 3);
}

TEST_F(CheckoutTest, OneCartMakesOneOrderHoweverManyKeysRaceForIt) {
  // Before: ten checkouts of one cart with ten keys made up to ten orders (five were seen through the load
  // balancer). Now the cart's version places one order; the others answer with it, or find the cart empty.
  auto s = shopper(300, 1);
  constexpr int kRacers = 10;
  int done = 0;
  std::vector<std::int64_t> answered;
  int empty = 0;
  for (int i = 0; i < kRacers; ++i) {
    net::co_spawn(
        io_,
        [&, i]() -> Task<void> {
          auto session = s.session;  // each request reads the same cookie
          auto r = co_await orders_->checkout(session, s.address, fmt::format("same-cart-{}", i));
          if (r) {
            answered.push_back(r->order.at("id").as_int64());
          } else {
            EXPECT_EQ(r.error().code, Error::Code::kEmptyCart) << r.error().message;
            ++empty;
          }
          ++done;
        },
        [](const std::exception_ptr& e) {
          if (e) std::rethrow_exception(e);
        });
  }
  pump([&] { return done == kRacers; }, 60000ms);
  ASSERT_EQ(done, kRacers);
  EXPECT_EQ(orders_count(), 1) << "one cart, one order";
  EXPECT_EQ(stock(), 2) << "3 - 1, once";
  ASSERT_FALSE(answered.empty());
  for (const auto id : answered) EXPECT_EQ(id, answered.front()) << "every answer is the one order";
  EXPECT_EQ(static_cast<int>(answered.size()) + empty, kRacers);

  // The same lines again, once the shopper put them in the cart anew: a new cart, a new order.
  run(sessions_->set(s.session, kSku, 1));
  auto again = run(orders_->checkout(s.session, s.address, "after-the-race"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->created);
  EXPECT_EQ(orders_count(), 2);
}

TEST_F(CheckoutTest, TheSameKeyNeverMakesASecondOrder) {
  auto s = shopper(100, 2);
  auto first = run(orders_->checkout(s.session, s.address, "retry-me"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_TRUE(run(sessions_->cart(s.session)).empty()) << "the order took the cart";
  run(sessions_->set(s.session, kSku, 1));  // the shopper adds again, then the old request is retried
  auto again = run(orders_->checkout(s.session, s.address, "retry-me"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->order.at("id"), first->order.at("id"));
  EXPECT_EQ(orders_count(), 1);
  EXPECT_EQ(stock(), 1) << "3 - 2, once";
  EXPECT_EQ(first->order.at("total").as_int64(), first->order.at("items").at(0).at("unit_price").as_int64() * 2);
  EXPECT_EQ(first->order.at("address").at("city").as_string(), "Seoul");
}

TEST_F(CheckoutTest, ACheckoutThatCannotBeFilledChangesNothingAndNamesTheLine) {
  auto s = shopper(200, 5);
  auto r = run(orders_->checkout(s.session, s.address, "too-many"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kInsufficientStock);
  EXPECT_EQ(r.error().code, Error::Code::kInsufficientStock);
  EXPECT_EQ(r.error().sku, kSku);
  EXPECT_EQ(r.error().available, 3);
  EXPECT_EQ(stock(), 3);
  EXPECT_EQ(orders_count(), 0);
  EXPECT_EQ(run(sessions_->cart(s.session)).size(), 1u) << "the cart is kept to fix";
}

TEST_F(CheckoutTest, EmptyCartsAndOtherPeoplesAddressesAndOrdersAreRefused) {
  auto a = shopper(300, 1);
  auto b = shopper(301, 1);
  auto wrong_address = run(orders_->checkout(a.session, b.address, "k1"));
  ASSERT_FALSE(wrong_address);
  EXPECT_EQ(wrong_address.error().field, "address_id");
  auto placed = run(orders_->checkout(a.session, a.address, "k2"));
  ASSERT_TRUE(placed);
  auto empty = run(orders_->checkout(a.session, a.address, "k3"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Error::Code::kEmptyCart);
  const auto id = placed->order.at("id").as_int64();
  EXPECT_TRUE(run(orders_->order(a.session.user_id, id)));
  EXPECT_FALSE(run(orders_->order(b.session.user_id, id))) << "another user's order is not there for them";
  EXPECT_EQ(run(orders_->orders(a.session.user_id)).size(), 1u);
  EXPECT_TRUE(run(orders_->orders(b.session.user_id)).empty());
}

}  // namespace
}  // namespace mc::order
