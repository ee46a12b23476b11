// The cart: the JSON API (/api/v1/cart…) and the pages (/cart, and the form posts that work without
// JavaScript). The cart itself lives in the session store; names and prices come from the catalog.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "cart/cart.hpp"
#include "web/api.hpp"
#include "web/cart_view.hpp"
#include "web/handlers.hpp"
#include "web/page_context.hpp"
#include "web/shopper.hpp"

namespace mc::web {
namespace {

namespace json = boost::json;
using detail::json_object_body;
using detail::PageContext;
using detail::see_other;

constexpr std::size_t kMaxSkuLength = 64;

http::Response cart_json(const cart::Cart& c) { return http::Response::json(200, cart::to_json(c)); }

http::Response cart_error(const cart::Error& e) { return http::Response::error(e.status(), e.api_code(), e.message); }

// An integer field within [lo, hi], or the 422 answer naming it.
Expected<int, http::Response> int_field(const json::object& o, std::string_view name, int lo, int hi) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_int64() || v->as_int64() < lo || v->as_int64() > hi) {
    return Unexpected(
        http::Response::error(422, "invalid_input", fmt::format("{} must be an integer from {} to {}", name, lo, hi)));
  }
  return static_cast<int>(v->as_int64());
}

bool plausible_sku(std::string_view sku) { return !sku.empty() && sku.size() <= kMaxSkuLength; }

// ---- JSON API ----

Task<http::Response> api_view(const Site& site, http::Request& req) {
  auto s = co_await shopper::find_session(site, req);
  co_return cart_json(co_await site.cart->view(s));
}

Task<http::Response> api_add(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  const auto* sku = body->if_contains("sku");
  if (sku == nullptr || !sku->is_string() || !plausible_sku(sku->as_string())) {
    co_return http::Response::error(422, "invalid_input", "sku must be a SKU string, e.g. \"P42-BLACK-M\"");
  }
  auto qty = body->contains("qty") ? int_field(*body, "qty", 1, cart::kMaxLineQty) : Expected<int, http::Response>(1);
  if (!qty) co_return qty.error();
  bool created = false;
  auto s = co_await shopper::ensure_session(site, req, created);
  std::string wanted(sku->as_string());
  auto result = co_await site.cart->add(s, std::move(wanted), *qty);
  auto r = result ? cart_json(*result) : cart_error(result.error());
  shopper::send_session_if_changed(site, r, s, created, req.secure);
  co_return r;
}

Task<http::Response> api_set(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto qty = int_field(*body, "qty", 0, cart::kMaxLineQty);
  if (!qty) co_return qty.error();
  const std::string sku = req.path_params[0];
  if (!plausible_sku(sku)) co_return http::Response::error(404, "unknown_sku", "no such SKU");
  bool created = false;
  auto s = co_await shopper::ensure_session(site, req, created);
  auto result = co_await site.cart->set(s, sku, *qty);
  auto r = result ? cart_json(*result) : cart_error(result.error());
  shopper::send_session_if_changed(site, r, s, created, req.secure);
  co_return r;
}

Task<http::Response> api_remove(const Site& site, http::Request& req) {
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  auto s = co_await shopper::find_session(site, req);
  if (!s) co_return cart_json(cart::Cart{});
  auto result = co_await site.cart->set(*s, req.path_params[0], 0);
  auto r = result ? cart_json(*result) : cart_error(result.error());
  shopper::send_session_if_changed(site, r, *s, false, req.secure);
  co_return r;
}

// ---- pages ----
}  // namespace

// A cart line for the cart and checkout pages (cart_view.hpp).
json::object cart_line_view(Lang lang, const cart::Line& l) {
  return json::object{
      {"sku", l.sku},
      {"url", l.slug.empty() ? std::string("/") : "/p/" + l.slug},
      {"image_url", l.category.empty() ? std::string("/static/favicon.svg")
                                       : catalog::image_url(l.category, l.product_id, l.color, l.name.en)},
      {"name", l.name.en.empty() ? l.sku : detail::pick(lang, l.name)},
      {"color_name", detail::color_name(lang, l.color)},
      {"size", l.size},
      {"qty", l.qty},
      {"available", l.available},
      {"stock_text", stock_text(lang, l.stock)},
      {"unit_price_text", format_krw(l.unit_price)},
      {"line_total_text", format_krw(l.line_total)},
      {"update_url", "/cart/items/" + http::url_encode(l.sku)}};
}

namespace {

Task<http::Response> cart_page_with(const Site& site, http::Request& req, int status, std::string error) {
  PageContext page(site, req);
  co_await page.load_categories();
  const auto c = co_await site.cart->view(page.session());
  const Lang lang = page.lang();
  json::array items;
  for (const auto& l : c.items) items.emplace_back(cart_line_view(lang, l));
  json::object ctx{{"items", std::move(items)},
                   {"empty", c.items.empty()},
                   {"count", c.count},
                   {"count_text", tr_n(lang, "items_in_cart", c.count)},
                   {"total_text", format_krw(c.total)}};
  if (!error.empty()) ctx["error"] = std::move(error);
  if (page.session_expired()) ctx["notice"] = tr(lang, "session_expired");
  co_return page.render(status, "cart", detail::site_title(lang, tr(lang, "cart_title")), ctx);
}

Task<http::Response> cart_page(const Site& site, http::Request& req) {
  co_return co_await cart_page_with(site, req, 200, std::string());
}

std::string message_for(Lang lang, const cart::Error& e) {
  return std::string(tr(lang, "error_" + std::string(e.api_code())));
}

// POST /cart/items (the product page's form): sku, qty, csrf.
Task<http::Response> form_add(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  if (!shopper::form_token_ok(req, form)) {
    std::string message(tr(lang, "error_csrf"));
    co_return co_await cart_page_with(site, req, 403, std::move(message));
  }
  std::string sku;
  std::string qty_text = "1";
  for (const auto& [k, v] : form) {
    if (k == "sku") sku = v;
    if (k == "qty") qty_text = v;
  }
  if (!plausible_sku(sku)) {
    std::string message(tr(lang, "error_no_size"));
    co_return co_await cart_page_with(site, req, 422, std::move(message));
  }
  const auto qty = detail::parse_id(qty_text);
  if (!qty || *qty > cart::kMaxLineQty) {
    std::string message(tr(lang, "error_invalid_input"));
    co_return co_await cart_page_with(site, req, 422, std::move(message));
  }
  bool created = false;
  auto s = co_await shopper::ensure_session(site, req, created);
  auto result = co_await site.cart->add(s, sku, static_cast<int>(*qty));
  if (!result) {
    std::string message = message_for(lang, result.error());
    auto page = co_await cart_page_with(site, req, result.error().status(), std::move(message));
    shopper::send_session_if_changed(site, page, s, created, req.secure);
    co_return page;
  }
  if (created || s.reissue) co_return see_other("/cart", site, req, s);
  co_return see_other("/cart");
}

// POST /cart/items/{sku} (the cart page's forms): qty (0 removes), csrf.
Task<http::Response> form_set(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  if (!shopper::form_token_ok(req, form)) {
    std::string message(tr(lang, "error_csrf"));
    co_return co_await cart_page_with(site, req, 403, std::move(message));
  }
  std::optional<std::int64_t> qty;
  for (const auto& [k, v] : form) {
    if (k == "qty") qty = v == "0" ? std::optional<std::int64_t>(0) : detail::parse_id(v);
  }
  if (!qty || *qty > cart::kMaxLineQty) {
    std::string message(tr(lang, "error_invalid_input"));
    co_return co_await cart_page_with(site, req, 422, std::move(message));
  }
  auto s = co_await shopper::find_session(site, req);
  if (!s) co_return see_other("/cart");
  auto result = co_await site.cart->set(*s, req.path_params[0], static_cast<int>(*qty));
  if (!result) {
    std::string message = message_for(lang, result.error());
    co_return co_await cart_page_with(site, req, result.error().status(), std::move(message));
  }
  if (s->reissue) co_return see_other("/cart", site, req, *s);
  co_return see_other("/cart");
}

}  // namespace

void add_cart_routes(http::Router& router, const Site& site) {
  if (site.cart == nullptr) return;
  detail::add_guarded(router, site, "The cart is briefly unavailable. Please retry in a moment.",
                      {{http::Method::kGet, "/api/v1/cart", api_view},
                       {http::Method::kPost, "/api/v1/cart/items", api_add},
                       {http::Method::kPut, "/api/v1/cart/items/{sku}", api_set},
                       {http::Method::kDelete, "/api/v1/cart/items/{sku}", api_remove},
                       {http::Method::kGet, "/cart", cart_page},
                       {http::Method::kPost, "/cart/items", form_add},
                       {http::Method::kPost, "/cart/items/{sku}", form_set}});
}

}  // namespace mc::web
