#include "app/worker.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "account/login_limiter.hpp"
#include "account/repository.hpp"
#include "dynamodb/client.hpp"
#include "http/router.hpp"
#include "order/repository.hpp"

namespace mc::app {
namespace {

// In mode cookie a cart is bounded by its cookie (4096 bytes, about 150 lines), not by a line count.
constexpr std::size_t kCookieModeMaxLines = 1000;

// The session store of the configured mode for one I/O thread.
Expected<std::shared_ptr<session::SessionStore>, std::string> make_sessions(
    const Shared& shared, boost::asio::io_context& io, const std::shared_ptr<redis::Client>& redis) {
  const Config& config = shared.config;
  switch (config.session.mode) {
    case SessionMode::kSticky:
      return shared.in_memory;
    case SessionMode::kCookie: {
      std::string joined;
      for (const auto& k : config.session.cookie_keys) joined += (joined.empty() ? "" : ",") + k;
      auto keys = session::parse_cookie_keys(joined);
      if (!keys) return Unexpected(keys.error());
      session::CookieSessionOptions options;
      options.keys = std::move(*keys);
      return std::shared_ptr<session::SessionStore>(session::make_cookie_store(std::move(options)));
    }
    case SessionMode::kRedis: {
      // Without Redis, none (the store's pages still render, with an empty cart badge).
      if (!redis) return std::shared_ptr<session::SessionStore>(session::make_no_store());
      session::RedisSessionOptions options;
      options.wait_replicas = config.redis.replicas_to_wait_for();
      options.wait_timeout = config.redis.wait_timeout;
      return std::shared_ptr<session::SessionStore>(session::make_redis_store(redis, options));
    }
    case SessionMode::kDynamodb: {
      dynamodb::ClientOptions options;
      auto endpoint = dynamodb::parse_endpoint(config.dynamodb.endpoint, config.dynamodb.region);
      if (!endpoint) return Unexpected(endpoint.error());
      options.endpoint = std::move(*endpoint);
      options.region = config.dynamodb.region;
      options.attempt_timeout = config.dynamodb.timeout;
      // Read once: a process's environment does not change while it runs.
      auto credentials = dynamodb::credentials_from_environment(std::getenv);
      if (!credentials)
        return Unexpected(
            std::string("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for DynamoDB Local any "
                        "values do: deploy/local/dynamodb/server env prints them)"));
      options.credentials = [credentials = std::move(*credentials)] { return credentials; };
      session::DynamodbSessionOptions store;
      store.table = config.dynamodb.table;
      return std::shared_ptr<session::SessionStore>(
          session::make_dynamodb_store(dynamodb::make_client(io, std::move(options)), std::move(store)));
    }
  }
  return Unexpected(std::string("unknown session mode"));
}

}  // namespace

Expected<Shared, std::string> make_shared_parts(const Config& config) {
  auto templates = web::Templates::load(config.server.web_root + "/templates");
  if (!templates) return Unexpected(templates.error());
  Shared shared{config, std::make_shared<http::Lifecycle>(), std::move(*templates),
                web::static_url(config.server.web_root, "app.css"), nullptr};
  if (config.session.mode == SessionMode::kSticky) {
    session::MemorySessionOptions options;
    options.max_sessions = config.session.max_sessions;
    options.max_user_carts = config.session.max_sessions;
    shared.in_memory = session::make_memory_store(options);
  }
  return shared;
}

Expected<std::unique_ptr<Worker>, std::string> make_worker(const Shared& shared, boost::asio::io_context& io,
                                                           const WorkerOptions& options) {
  const Config& config = shared.config;
  auto w = std::make_unique<Worker>(io);

  // The data tier's clients.
  w->db = db::make_cluster(io, config.db);
  if (config.redis.enabled) {
    w->redis = redis::make_client(io, config.redis);
    w->redis->start();
  }

  // The catalog, cache-aside. Reads skip the cache (the null store) when it is switched off or there is no
  // Redis; sessions and carts still use Redis then.
  w->store = cache::make_catalog_store(config.cache, w->redis, options.cache_key_prefix);
  w->cache = std::make_unique<cache::CacheAside>(*w->store, config.cache.jitter, config.cache.lock_wait);
  w->repository = catalog::make_pg_repository(*w->db);
  if (options.wrap_repository) w->repository = options.wrap_repository(std::move(w->repository));
  w->catalog = std::make_unique<catalog::CatalogService>(*w->repository, *w->cache, config.cache);

  auto sessions = make_sessions(shared, io, w->redis);
  if (!sessions)
    return Unexpected(fmt::format("session.mode = {}: {}", to_string(config.session.mode), sessions.error()));
  w->sessions = std::move(*sessions);

  w->memo = std::make_unique<web::PageMemo>();
  w->views = std::make_unique<web::Views>(web::Views{*shared.templates, *w->memo, *w->catalog, shared.css_url});
  w->shoppers = std::make_unique<web::ShopperSessions>(*w->sessions);

  // The routes.
  w->router = std::make_shared<http::Router>();
  std::function<bool()> redis_up;
  if (w->redis) redis_up = [r = w->redis.get()] { return r->connected(); };
  w->ops = std::make_unique<web::OpsRoutes>(config.server, *shared.lifecycle, *w->db, std::move(redis_up));
  w->ops->add_to(*w->router);
  w->catalog_api = std::make_unique<web::CatalogApi>(*w->catalog);
  w->catalog_api->add_to(*w->router);
  w->admin_api = std::make_unique<web::AdminApi>(*w->catalog, config.admin.token);
  w->admin_api->add_to(*w->router);
  w->pages = std::make_unique<web::StorePages>(*w->shoppers, *w->views);
  w->pages->add_to(*w->router);
  if (w->redis) {
    // The shopper's own data: the cart in the session store, accounts (their login limits in Redis),
    // addresses and orders in PostgreSQL.
    const std::size_t max_lines = config.session.mode == SessionMode::kCookie ? kCookieModeMaxLines : cart::kMaxLines;
    w->cart = std::make_unique<cart::CartService>(*w->sessions, *w->catalog, max_lines);
    w->accounts = std::make_unique<account::AccountService>(account::make_pg_repository(*w->db),
                                                            account::make_redis_login_limiter(w->redis));
    w->orders = std::make_unique<order::OrderService>(order::make_pg_repository(*w->db), *w->sessions, *w->catalog);
    w->cart_routes = std::make_unique<web::CartRoutes>(*w->cart, *w->shoppers, *w->views);
    w->cart_routes->add_to(*w->router);
    w->account_routes = std::make_unique<web::AccountRoutes>(*w->accounts, *w->cart, *w->shoppers, *w->views);
    w->account_routes->add_to(*w->router);
    w->order_routes = std::make_unique<web::OrderRoutes>(*w->orders, *w->cart, *w->db, *w->shoppers, *w->views);
    w->order_routes->add_to(*w->router);
  }
  w->assets = std::make_unique<web::Assets>(config.server.web_root);
  w->assets->add_to(*w->router);

  http::MiddlewareOptions middleware{
      config.server.instance_id, config.server.az,
      [views = w->views.get()](const http::Request& req) { return web::not_found_page(*views, req); },
      web::unavailable_page, web::bad_text_page};
  w->handler = http::with_middleware(w->router, std::move(middleware));
  return w;
}

void Worker::close() {
  if (redis) redis->stop();
  db->close();
}

}  // namespace mc::app
