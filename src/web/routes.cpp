#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "catalog/palette.hpp"
#include "http/server.hpp"
#include "web/common.hpp"
#include "web/routes.hpp"
#include "web/svg.hpp"

namespace mc::web {
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

void Assets::add_to(http::Router& router) {
  router.add(http::Method::kGet, "/img/{category}/{file}", product_image);
  router.add(http::Method::kGet, "/static/*", http::static_files(web_root_ + "/static"));
}

}  // namespace mc::web
