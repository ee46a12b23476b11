#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "http/router.hpp"

namespace mc::catalog {
class CatalogService;
}
namespace mc::db {
class Cluster;
}
namespace mc::http {
struct Lifecycle;
}
namespace mc::session {
class SessionStore;
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

namespace mc::web {

class Templates;
class PageMemo;

// What the web handlers of one I/O thread use. Built in src/app, one per thread.
struct Site {
  const Config* config = nullptr;
  std::string css_url;  // /static/app.css?v=<content hash>
  catalog::CatalogService* catalog = nullptr;
  db::Cluster* db = nullptr;
  std::function<bool()> redis_up;
  std::shared_ptr<Templates> templates;
  std::shared_ptr<http::Lifecycle> lifecycle;
  std::shared_ptr<PageMemo> memo;  // this thread's rendered pages; null: render every time
  session::SessionStore* sessions = nullptr;
  cart::CartService* cart = nullptr;
  account::AccountService* accounts = nullptr;
  order::OrderService* orders = nullptr;
};

// Every route of the store: HTML pages, the JSON API, images, static files and the operations endpoints.
std::shared_ptr<http::Router> make_router(const Site& site);

// The HTML 404 page, for the middleware's not-found answer outside /api/.
http::Response not_found_page(const Site& site, const http::Request& req);

// A version tag for a static file's URL (hash of its content) so it can be cached for a year.
std::string static_url(const std::string& web_root, const std::string& file);

}  // namespace mc::web
