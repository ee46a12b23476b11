// The catalog's JSON API and the operations endpoints. A database that cannot answer is not handled here:
// its core::Unavailable reaches the middleware, which answers 503 for every route alike.
#include <boost/json.hpp>
#include <chrono>

#include "catalog/query.hpp"
#include "catalog/service.hpp"
#include "core/metrics.hpp"
#include "db/database.hpp"
#include "http/server.hpp"
#include "web/common.hpp"
#include "web/readiness.hpp"
#include "web/routes.hpp"

namespace mc::web {
namespace {

// How long /readyz waits for the primary's ping. The load balancer checks every 500 ms and gives a check about
// that long: a readiness answer that waited for a primary that does not answer (a partition drops packets, it
// does not refuse) would itself fail the check, and take out every instance together. A ping later than this
// only makes the answer say "degraded".
constexpr std::chrono::milliseconds kReadyPing{250};

template <class T>
http::Response catalog_json(const catalog::Served<T>& s) {
  auto r = http::Response::json(200, s.body);
  detail::Provenance p;
  p.add(s);
  p.apply(r);
  return r;
}

http::Response no_such_product() {
  return http::Response::error(404, "product_not_found", "There is no product with that id.");
}

}  // namespace

void CatalogApi::add_to(http::Router& router) {
  router.add(http::Method::kGet, "/api/v1/categories", [this](http::Request& req) { return categories(req); });
  router.add(http::Method::kGet, "/api/v1/products", [this](http::Request& req) { return products(req); });
  router.add(http::Method::kGet, "/api/v1/products/{id}", [this](http::Request& req) { return product(req); });
}

Task<http::Response> CatalogApi::categories(http::Request&) { co_return catalog_json(co_await catalog_.categories()); }

Task<http::Response> CatalogApi::products(http::Request& req) {
  auto query = catalog::parse_listing_query([&](std::string_view n) { return req.query_param(n); }, 24);
  if (!query) co_return http::Response::error(400, "invalid_query", query.error().message);
  co_return catalog_json(co_await catalog_.list(*query, catalog::Need::kText));
}

Task<http::Response> CatalogApi::product(http::Request& req) {
  const auto id = detail::parse_id(req.path_params[0]);
  if (!id) co_return no_such_product();
  auto s = co_await catalog_.product(*id, catalog::Need::kText);
  if (s.found) co_return catalog_json(s);
  auto r = no_such_product();
  detail::Provenance p;
  p.add(s);
  p.apply(r);
  co_return r;
}

OpsRoutes::OpsRoutes(const ServerConfig& server, http::Lifecycle& lifecycle, db::Cluster& db,
                     std::function<bool()> redis_up)
    : server_(server), lifecycle_(lifecycle), db_(db), redis_up_(std::move(redis_up)) {}

void OpsRoutes::add_to(http::Router& router) {
  router.add(http::Method::kGet, "/healthz",
             [](http::Request&) -> Task<http::Response> { co_return http::Response::json(200, R"({"status":"ok"})"); });
  router.add(http::Method::kGet, "/readyz", [this](http::Request& req) { return ready(req); });
  router.add(http::Method::kGet, "/metrics", [](http::Request&) -> Task<http::Response> {
    auto r = http::Response::text(200, metrics::registry().render());
    r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    co_return r;
  });
}

Task<http::Response> OpsRoutes::ready(http::Request&) {
  ReadinessChecks checks;
  checks.draining = lifecycle_.draining.load();
  checks.postgres = co_await db_.ping_primary(kReadyPing);
  checks.replicas = db_.healthy_replicas();
  checks.redis = redis_up_ ? redis_up_() : false;
  co_return readiness_response(checks, server_.instance_id, server_.az);
}

}  // namespace mc::web
