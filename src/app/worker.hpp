#pragma once

// One I/O thread's world, built in one place: `myclothes serve` builds one Worker per thread, and the
// integration tests build theirs with the same function, so a test runs exactly what production runs.
// The wiring reads top to bottom in make_worker (worker.cpp); a worker without Redis is a decision made
// there (no sessions: the catalog and its pages only), not a route that silently goes missing.

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "account/account.hpp"
#include "cache/cache.hpp"
#include "cart/cart.hpp"
#include "catalog/repository.hpp"
#include "catalog/service.hpp"
#include "core/config.hpp"
#include "core/expected.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "order/order.hpp"
#include "redis/client.hpp"
#include "session/session.hpp"
#include "web/page_memo.hpp"
#include "web/routes.hpp"
#include "web/shopper.hpp"
#include "web/templates.hpp"

namespace mc::app {

// What the I/O threads of one process share.
struct Shared {
  const Config& config;
  std::shared_ptr<http::Lifecycle> lifecycle;
  std::shared_ptr<web::Templates> templates;  // read-only once loaded: one for every thread
  std::string css_url;
  std::shared_ptr<session::SessionStore> in_memory;  // mode sticky: the process's one store (thread-safe)
};

// The templates are loaded and the sticky store made here; an error names what is wrong.
Expected<Shared, std::string> make_shared_parts(const Config& config);

// Where a test needs to see inside (production passes none of this).
struct WorkerOptions {
  std::string cache_key_prefix;  // the catalog cache's keys start with it (tests share one Redis)
  // Wraps the PostgreSQL catalog repository (a test counts the loads the cache lets through).
  std::function<std::unique_ptr<catalog::CatalogRepository>(std::unique_ptr<catalog::CatalogRepository>)>
      wrap_repository;
};

// Members in the order they are built; destroyed in reverse. Everything here belongs to `io`'s thread.
struct Worker {
  boost::asio::io_context& io;
  std::unique_ptr<db::Cluster> db;
  std::shared_ptr<redis::Client> redis;  // null: redis.enabled = false
  std::unique_ptr<cache::Store> store;
  std::unique_ptr<cache::CacheAside> cache;
  std::unique_ptr<catalog::CatalogRepository> repository;
  std::unique_ptr<catalog::CatalogService> catalog;
  std::shared_ptr<session::SessionStore> sessions;
  std::unique_ptr<web::PageMemo> memo;
  std::unique_ptr<web::Views> views;
  std::unique_ptr<web::ShopperSessions> shoppers;
  std::unique_ptr<cart::CartService> cart;  // with Redis only, like the two below
  std::unique_ptr<account::AccountService> accounts;
  std::unique_ptr<order::OrderService> orders;
  std::unique_ptr<web::OpsRoutes> ops;
  std::unique_ptr<web::CatalogApi> catalog_api;
  std::unique_ptr<web::AdminApi> admin_api;
  std::unique_ptr<web::StorePages> pages;
  std::unique_ptr<web::CartRoutes> cart_routes;
  std::unique_ptr<web::AccountRoutes> account_routes;
  std::unique_ptr<web::OrderRoutes> order_routes;
  std::unique_ptr<web::Assets> assets;
  std::shared_ptr<http::Router> router;
  http::Handler handler;  // the router behind the middleware: what the server calls

  explicit Worker(boost::asio::io_context& context) : io(context) {}
  // Stops the clients; call on the worker's own thread.
  void close();
};

Expected<std::unique_ptr<Worker>, std::string> make_worker(const Shared& shared, boost::asio::io_context& io,
                                                           const WorkerOptions& options = {});

}  // namespace mc::app
