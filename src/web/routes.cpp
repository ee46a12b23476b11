#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "catalog/palette.hpp"
#include "http/server.hpp"
#include "web/api.hpp"
#include "web/common.hpp"
#include "web/site.hpp"
#include "web/svg.hpp"

namespace mc::web {

// PUT /api/v1/admin/products/{id} (admin_routes.cpp).
void add_admin_routes(http::Router& router, const Site& site);

namespace {

// /img/{category}/{id}-{color}.svg[?g=garment]: drawn from the URL alone (no database), so every instance can answer it
// and browsers may keep it for a year.
Task<http::Response> product_image(http::Request& req) {
  const std::string& category = req.path_params[0];
  std::string_view file = req.path_params[1];
  if (!file.ends_with(".svg")) co_return http::Response::error(404, "not_found", "No such image.");
  file.remove_suffix(4);
  const auto dash = file.find('-');
  if (dash == std::string_view::npos) co_return http::Response::error(404, "not_found", "No such image.");
  const std::string_view id_text = file.substr(0, dash);
  const auto* color = catalog::find_color(file.substr(dash + 1));
  auto id = id_text == "0" ? std::optional<std::int64_t>(0) : detail::parse_id(id_text);
  if (!id || !color || category.size() > 32) co_return http::Response::error(404, "not_found", "No such image.");
  std::string hex(color->hex);
  if (hex.starts_with('#')) hex.erase(0, 1);
  http::Response r;
  const auto garment = req.query_param("g").value_or("");
  r.body = product_svg(*id, category, hex, garment.size() <= 8 ? garment : std::string());
  r.set("Content-Type", "image/svg+xml");
  r.set("Cache-Control", "public, max-age=31536000, immutable");
  r.set("ETag", fmt::format("\"{:x}\"", std::hash<std::string>{}(r.body)));
  if (req.header("If-None-Match") == r.get("ETag")) {
    r.status = 304;
    r.body.clear();
  }
  co_return r;
}

}  // namespace

std::string static_url(const std::string& web_root, const std::string& file) {
  std::ifstream in(std::filesystem::path(web_root) / "static" / file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return fmt::format("/static/{}?v={:x}", file, std::hash<std::string>{}(text.str()) & 0xffffffffffULL);
}

std::shared_ptr<http::Router> make_router(const Site& site) {
  auto router = std::make_shared<http::Router>();
  add_ops_routes(*router, site);
  add_api_routes(*router, site);
  add_admin_routes(*router, site);
  add_page_routes(*router, site);
  add_cart_routes(*router, site);
  add_account_routes(*router, site);
  add_order_routes(*router, site);
  router->add(http::Method::kGet, "/img/{category}/{file}", product_image);
  router->add(http::Method::kGet, "/static/*", http::static_files(site.config->server.web_root + "/static"));
  return router;
}

}  // namespace mc::web
