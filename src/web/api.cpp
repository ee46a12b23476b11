#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "catalog/query.hpp"
#include "catalog/service.hpp"
#include "core/metrics.hpp"
#include "db/database.hpp"
#include "http/server.hpp"
#include "web/api.hpp"
#include "web/common.hpp"

namespace mc::web {
namespace {

template <class T>
http::Response catalog_json(const catalog::Served<T>& s) {
  auto r = http::Response::json(200, s.body);
  detail::Provenance p;
  p.add(s);
  p.apply(r);
  return r;
}

}  // namespace

void add_api_routes(http::Router& router, const Site& site) {
  auto* catalog = site.catalog;

  router.add(http::Method::kGet, "/api/v1/categories", [catalog](http::Request&) -> Task<http::Response> {
    try {
      co_return catalog_json(co_await catalog->categories());
    } catch (const db::Error& e) {
      spdlog::warn("categories: {}", e.what());
    }
    co_return detail::unavailable_json();
  });

  router.add(http::Method::kGet, "/api/v1/products", [catalog](http::Request& req) -> Task<http::Response> {
    auto query = catalog::parse_listing_query([&](std::string_view n) { return req.query_param(n); }, 24);
    if (!query) co_return http::Response::error(400, "invalid_query", query.error().message);
    try {
      co_return catalog_json(co_await catalog->list(*query, catalog::Need::kText));
    } catch (const db::Error& e) {
      spdlog::warn("products: {}", e.what());
    }
    co_return detail::unavailable_json();
  });

  router.add(http::Method::kGet, "/api/v1/products/{id}", [catalog](http::Request& req) -> Task<http::Response> {
    const auto id = detail::parse_id(req.path_params[0]);
    if (!id) co_return http::Response::error(404, "product_not_found", "There is no product with that id.");
    try {
      auto s = co_await catalog->product(*id, catalog::Need::kText);
      if (!s.found) {
        auto r = http::Response::error(404, "product_not_found", "There is no product with that id.");
        detail::Provenance p;
        p.add(s);
        p.apply(r);
        co_return r;
      }
      co_return catalog_json(s);
    } catch (const db::Error& e) {
      spdlog::warn("product {}: {}", *id, e.what());
    }
    co_return detail::unavailable_json();
  });
}

void add_ops_routes(http::Router& router, const Site& site) {
  router.add(http::Method::kGet, "/healthz",
             [](http::Request&) -> Task<http::Response> { co_return http::Response::json(200, R"({"status":"ok"})"); });

  router.add(http::Method::kGet, "/readyz", [site](http::Request&) -> Task<http::Response> {
    const bool draining = site.lifecycle->draining.load();
    const bool postgres = co_await site.db->ping_primary();
    const bool redis = site.redis_up ? site.redis_up() : false;
    // Redis is an optimisation for catalog reads: without it the instance still serves (from PostgreSQL),
    // so it stays in the load balancer and says it is degraded. Without PostgreSQL, or while draining, it is not
    // ready.
    const bool ready = !draining && postgres;
    boost::json::object body{{"status", !ready ? "not_ready" : (redis ? "ready" : "degraded")},
                             {"checks", boost::json::object{{"postgres", postgres ? "up" : "down"},
                                                            {"redis", redis ? "up" : "down"},
                                                            {"draining", draining}}},
                             {"instance", site.config->server.instance_id},
                             {"az", site.config->server.az}};
    co_return http::Response::json(ready ? 200 : 503, boost::json::serialize(body));
  });

  router.add(http::Method::kGet, "/metrics", [](http::Request&) -> Task<http::Response> {
    auto r = http::Response::text(200, metrics::registry().render());
    r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    co_return r;
  });
}

}  // namespace mc::web
