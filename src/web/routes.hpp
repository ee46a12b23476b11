#pragma once

// The store's routes, in groups. Each group's constructor takes exactly the services it uses, as
// references: a group cannot be built without them, and a group that is built adds all of its routes
// (`add_to`). Which groups a worker has is decided in one place, app::make_worker.
//
// The groups' objects must outlive the router they were added to (the worker owns both).

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/task.hpp"
#include "http/router.hpp"

namespace mc::catalog {
class CatalogService;
}
namespace mc::cart {
class CartService;
}
namespace mc::account {
class AccountService;
}
namespace mc::order {
class OrderService;
}
namespace mc::db {
class Cluster;
}
namespace mc::http {
struct Lifecycle;
}

namespace mc::web {

class Templates;
class PageMemo;
class Shopper;
class ShopperSessions;

// What every page is rendered with: the templates, this thread's memo of rendered pages, the stylesheet's
// versioned URL, and the catalog, for the navigation every page shows.
struct Views {
  Templates& templates;
  PageMemo& memo;
  catalog::CatalogService& catalog;
  std::string css_url;  // /static/app.css?v=<content hash>
};

// GET /healthz, /readyz, /metrics.
class OpsRoutes {
 public:
  // `redis_up`: whether this thread's Redis client is connected (empty: there is no Redis).
  OpsRoutes(const ServerConfig& server, http::Lifecycle& lifecycle, db::Cluster& db, std::function<bool()> redis_up);
  void add_to(http::Router& router);

 private:
  Task<http::Response> ready(http::Request& req);

  const ServerConfig& server_;
  http::Lifecycle& lifecycle_;
  db::Cluster& db_;
  std::function<bool()> redis_up_;
};

// GET /api/v1/categories, /api/v1/products, /api/v1/products/{id}.
class CatalogApi {
 public:
  explicit CatalogApi(catalog::CatalogService& catalog) : catalog_(catalog) {}
  void add_to(http::Router& router);

 private:
  Task<http::Response> categories(http::Request& req);
  Task<http::Response> products(http::Request& req);
  Task<http::Response> product(http::Request& req);

  catalog::CatalogService& catalog_;
};

// PUT /api/v1/admin/products/{id}: there only when an admin token is configured (admin.token).
class AdminApi {
 public:
  AdminApi(catalog::CatalogService& catalog, std::string token) : catalog_(catalog), token_(std::move(token)) {}
  void add_to(http::Router& router);

 private:
  Task<http::Response> put_product(http::Request& req);

  catalog::CatalogService& catalog_;
  std::string token_;
};

// The server-rendered storefront: /, /c/{category}, /search, /p/{slug}.
class StorePages {
 public:
  StorePages(ShopperSessions& sessions, Views& views) : sessions_(sessions), views_(views) {}
  void add_to(http::Router& router);

 private:
  Task<http::Response> home(http::Request& req, Shopper& shopper);
  Task<http::Response> category(http::Request& req, Shopper& shopper);
  Task<http::Response> search(http::Request& req, Shopper& shopper);
  Task<http::Response> product(http::Request& req, Shopper& shopper);

  ShopperSessions& sessions_;
  Views& views_;
};

// The cart: /api/v1/cart… and /cart with its form posts.
class CartRoutes {
 public:
  CartRoutes(cart::CartService& cart, ShopperSessions& sessions, Views& views)
      : cart_(cart), sessions_(sessions), views_(views) {}
  void add_to(http::Router& router);

 private:
  Task<http::Response> api_view(http::Request& req, Shopper& shopper);
  Task<http::Response> api_add(http::Request& req, Shopper& shopper);
  Task<http::Response> api_set(http::Request& req, Shopper& shopper);
  Task<http::Response> api_remove(http::Request& req, Shopper& shopper);
  Task<http::Response> page(http::Request& req, Shopper& shopper);
  Task<http::Response> page_with(http::Request& req, Shopper& shopper, int status, std::string error);
  Task<http::Response> form_add(http::Request& req, Shopper& shopper);
  Task<http::Response> form_set(http::Request& req, Shopper& shopper);

  cart::CartService& cart_;
  ShopperSessions& sessions_;
  Views& views_;
};

// Accounts: /api/v1/auth/*, /api/v1/me, /login, /register, /logout, /account.
class AccountRoutes {
 public:
  AccountRoutes(account::AccountService& accounts, cart::CartService& cart, ShopperSessions& sessions, Views& views)
      : accounts_(accounts), cart_(cart), sessions_(sessions), views_(views) {}
  void add_to(http::Router& router);

 private:
  Task<void> sign_in(Shopper& shopper, std::int64_t user_id);
  Task<http::Response> api_register(http::Request& req, Shopper& shopper);
  Task<http::Response> api_login(http::Request& req, Shopper& shopper);
  Task<http::Response> api_logout(http::Request& req, Shopper& shopper);
  Task<http::Response> api_me(http::Request& req, Shopper& shopper);
  Task<http::Response> auth_page(http::Request& req, Shopper& shopper, std::string_view which, int status,
                                 boost::json::object ctx);
  Task<http::Response> login_page(http::Request& req, Shopper& shopper);
  Task<http::Response> register_page(http::Request& req, Shopper& shopper);
  Task<http::Response> form_login(http::Request& req, Shopper& shopper);
  Task<http::Response> form_register(http::Request& req, Shopper& shopper);
  Task<http::Response> form_logout(http::Request& req, Shopper& shopper);
  Task<http::Response> account_page(http::Request& req, Shopper& shopper);

  account::AccountService& accounts_;
  cart::CartService& cart_;
  ShopperSessions& sessions_;
  Views& views_;
};

// Addresses, checkout and orders: /api/v1/me/addresses, /api/v1/checkout, /api/v1/orders and their pages.
class OrderRoutes {
 public:
  // `db`: for the primary's WAL position after a shopper's write (read-your-writes).
  OrderRoutes(order::OrderService& orders, cart::CartService& cart, db::Cluster& db, ShopperSessions& sessions,
              Views& views)
      : orders_(orders), cart_(cart), db_(db), sessions_(sessions), views_(views) {}
  void add_to(http::Router& router);

 private:
  Task<void> remember_write(Shopper& shopper, std::uint64_t known = 0);  // a db::Lsn; 0: ask the primary
  Task<http::Response> api_addresses(http::Request& req, Shopper& shopper);
  Task<http::Response> api_add_address(http::Request& req, Shopper& shopper);
  Task<http::Response> api_update_address(http::Request& req, Shopper& shopper);
  Task<http::Response> api_delete_address(http::Request& req, Shopper& shopper);
  Task<http::Response> api_checkout(http::Request& req, Shopper& shopper);
  Task<http::Response> api_orders(http::Request& req, Shopper& shopper);
  Task<http::Response> api_order(http::Request& req, Shopper& shopper);
  Task<http::Response> addresses_page(http::Request& req, Shopper& shopper);
  Task<http::Response> addresses_page_with(http::Request& req, Shopper& shopper, int status, std::string error,
                                           boost::json::object draft);
  Task<http::Response> form_add_address(http::Request& req, Shopper& shopper);
  Task<http::Response> form_change_address(http::Request& req, Shopper& shopper);
  Task<http::Response> checkout_page(http::Request& req, Shopper& shopper);
  Task<http::Response> checkout_page_with(http::Request& req, Shopper& shopper, int status, std::string error);
  Task<http::Response> form_checkout(http::Request& req, Shopper& shopper);
  Task<http::Response> orders_page(http::Request& req, Shopper& shopper);
  Task<http::Response> order_page(http::Request& req, Shopper& shopper);

  order::OrderService& orders_;
  cart::CartService& cart_;
  db::Cluster& db_;
  ShopperSessions& sessions_;
  Views& views_;
};

// /img/{category}/{id}-{color}.svg (drawn from the URL alone) and /static/* (files under web_root/static).
class Assets {
 public:
  explicit Assets(std::string web_root) : web_root_(std::move(web_root)) {}
  void add_to(http::Router& router);

 private:
  std::string web_root_;
};

// The HTML 404 page, for the middleware's not-found answer outside /api/ (no database round trip).
http::Response not_found_page(Views& views, const http::Request& req);
// The store's "temporarily unavailable" page (503), for a dependency outage outside /api/; `code` is the
// outage's own (core/errors.hpp: empty, or e.g. not_confirmed), which chooses the message.
http::Response unavailable_page(const http::Request& req, std::string_view code);
// 400: the address or the form holds text that is not UTF-8 (the middleware's bad_text_html).
http::Response bad_text_page(const http::Request& req);

// A version tag for a static file's URL (hash of its content) so it can be cached for a year.
std::string static_url(const std::string& web_root, const std::string& file);

}  // namespace mc::web
