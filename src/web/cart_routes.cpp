// The cart: the JSON API (/api/v1/cart…) and the pages (/cart, and the form posts that work without
// JavaScript). The cart itself lives in the session store; names and prices come from the catalog. The
// routes read the request's fields; what a valid SKU and quantity are is the cart service's to say.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "cart/cart.hpp"
#include "web/cart_view.hpp"
#include "web/errors.hpp"
#include "web/handlers.hpp"
#include "web/page_context.hpp"
#include "web/routes.hpp"
#include "web/shopper.hpp"

namespace mc::web {
namespace {

namespace json = boost::json;
using detail::json_object_body;
using detail::PageContext;
using detail::see_other;

http::Response cart_json(const cart::Cart& c) { return http::Response::json(200, cart::to_json(c)); }

http::Response answer_json(const Expected<cart::Cart, cart::Error>& result) {
  if (result) return cart_json(*result);
  return api_error(answer(result.error().code), result.error().message);
}

// A quantity as the shopper sent it, for the service to judge: a number beyond any limit stays beyond it.
int quantity_of(std::int64_t v) { return static_cast<int>(std::clamp<std::int64_t>(v, -1, 1000)); }

std::optional<int> json_quantity(const json::object& o) {
  const auto* v = o.if_contains("qty");
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  return quantity_of(v->as_int64());
}

std::optional<int> form_quantity(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || p != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) return std::nullopt;
  return ec == std::errc() ? quantity_of(v) : 1000;
}

http::Response invalid_qty() {
  return http::Response::error(422, "invalid_input",
                               fmt::format("qty must be an integer from 1 to {}", cart::kMaxLineQty));
}

}  // namespace

void CartRoutes::add_to(http::Router& router) {
  router.add(http::Method::kGet, "/api/v1/cart", sessions_.personal(this, &CartRoutes::api_view));
  router.add(http::Method::kPost, "/api/v1/cart/items", sessions_.personal(this, &CartRoutes::api_add));
  router.add(http::Method::kPut, "/api/v1/cart/items/{sku}", sessions_.personal(this, &CartRoutes::api_set));
  router.add(http::Method::kDelete, "/api/v1/cart/items/{sku}", sessions_.personal(this, &CartRoutes::api_remove));
  router.add(http::Method::kGet, "/cart", sessions_.personal(this, &CartRoutes::page));
  router.add(http::Method::kPost, "/cart/items", sessions_.personal(this, &CartRoutes::form_add));
  router.add(http::Method::kPost, "/cart/items/{sku}", sessions_.personal(this, &CartRoutes::form_set));
}

// ---- JSON API ----

Task<http::Response> CartRoutes::api_view(http::Request&, Shopper& shopper) {
  const auto* s = co_await shopper.session();
  co_return cart_json(co_await cart_.view(s));
}

Task<http::Response> CartRoutes::api_add(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  const auto* sku = body->if_contains("sku");
  if (sku == nullptr || !sku->is_string()) {
    co_return http::Response::error(422, "invalid_input", "sku must be a SKU string, e.g. \"P42-BLACK-M\"");
  }
  const auto qty = body->contains("qty") ? json_quantity(*body) : std::optional<int>(1);
  if (!qty) co_return invalid_qty();
  auto* s = co_await shopper.session_or_new();
  co_return answer_json(co_await cart_.add(*s, std::string(sku->as_string()), *qty));
}

Task<http::Response> CartRoutes::api_set(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  const auto qty = json_quantity(*body);
  if (!qty) co_return invalid_qty();
  auto* s = co_await shopper.session_or_new();
  co_return answer_json(co_await cart_.set(*s, req.path_params[0], *qty));
}

Task<http::Response> CartRoutes::api_remove(http::Request& req, Shopper& shopper) {
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  auto* s = co_await shopper.session();
  if (s == nullptr) co_return cart_json(cart::Cart{});
  co_return answer_json(co_await cart_.set(*s, req.path_params[0], 0));
}

// ---- pages ----

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

Task<http::Response> CartRoutes::page_with(http::Request&, Shopper& shopper, int status, std::string error) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  const auto c = co_await cart_.view(page.session());
  const Lang lang = page.lang();
  json::array items;
  for (const auto& l : c.items) items.emplace_back(cart_line_view(lang, l));
  json::object ctx{{"items", std::move(items)},
                   {"empty", c.items.empty()},
                   {"count", c.count},
                   {"count_text", tr_n(lang, "items_in_cart", c.count)},
                   {"total_text", format_krw(c.total)}};
  if (!error.empty()) ctx["error"] = error;
  if (page.session_expired()) ctx["notice"] = tr(lang, "session_expired");
  co_return page.render(status, "cart", detail::site_title(lang, tr(lang, "cart_title")), ctx);
}

Task<http::Response> CartRoutes::page(http::Request& req, Shopper& shopper) {
  co_return co_await page_with(req, shopper, 200, std::string());
}

// POST /cart/items (the product page's form): sku, qty, csrf.
Task<http::Response> CartRoutes::form_add(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  if (!shopper.form_token_ok(form))
    co_return co_await page_with(req, shopper, 403, std::string(tr(lang, "error_csrf")));
  const std::string sku = detail::form_field(form, "sku");
  if (sku.empty()) co_return co_await page_with(req, shopper, 422, std::string(tr(lang, "error_no_size")));
  const auto given = detail::form_field(form, "qty");
  const auto qty = given.empty() ? std::optional<int>(1) : form_quantity(given);
  if (!qty) co_return co_await page_with(req, shopper, 422, std::string(tr(lang, "error_invalid_input")));
  auto* s = co_await shopper.session_or_new();
  auto result = co_await cart_.add(*s, sku, *qty);
  if (!result) {
    const auto a = answer(result.error().code);
    co_return co_await page_with(req, shopper, a.status, error_text(lang, a));
  }
  co_return see_other("/cart");
}

// POST /cart/items/{sku} (the cart page's forms): qty (0 removes), csrf.
Task<http::Response> CartRoutes::form_set(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  if (!shopper.form_token_ok(form))
    co_return co_await page_with(req, shopper, 403, std::string(tr(lang, "error_csrf")));
  const auto qty = form_quantity(detail::form_field(form, "qty"));
  if (!qty) co_return co_await page_with(req, shopper, 422, std::string(tr(lang, "error_invalid_input")));
  auto* s = co_await shopper.session();
  if (s == nullptr) co_return see_other("/cart");
  auto result = co_await cart_.set(*s, req.path_params[0], *qty);
  if (!result) {
    const auto a = answer(result.error().code);
    co_return co_await page_with(req, shopper, a.status, error_text(lang, a));
  }
  co_return see_other("/cart");
}

}  // namespace mc::web
