// Addresses, checkout and orders: the JSON API (/api/v1/me/addresses, /api/v1/checkout, /api/v1/orders)
// and the pages (/account/addresses, /checkout, /orders, /orders/{id}). All of it needs a logged-in shopper:
// the API answers 401 not_logged_in, the pages send the shopper to /login.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "cart/cart.hpp"
#include "core/ids.hpp"
#include "order/order.hpp"
#include "web/api.hpp"
#include "web/cart_view.hpp"
#include "web/handlers.hpp"
#include "web/page_context.hpp"
#include "web/shopper.hpp"

namespace mc::web {
namespace {

namespace json = boost::json;
using detail::form_field;
using detail::json_object_body;
using detail::PageContext;
using detail::see_other;

http::Response order_error(const order::Error& e) {
  auto r = http::Response::error(e.status(), e.api_code(), e.message);
  if (e.code == order::Error::Code::kInsufficientStock) {
    auto body = json::parse(r.body).as_object();
    body["error"].as_object()["sku"] = e.sku;
    body["error"].as_object()["available"] = e.available;
    r.body = json::serialize(body);
  }
  return r;
}

// Where a page sends a shopper who is not logged in: with a word about it if their session expired.
std::string login_url(const PageContext& page) { return page.session_expired() ? "/login?expired=1" : "/login"; }

http::Response not_logged_in() { return http::Response::error(401, "not_logged_in", "Log in first."); }

Task<std::optional<session::Session>> user_session(const Site& site, const http::Request& req) {
  auto s = co_await shopper::find_session(site, req);
  if (!s || s->user_id == 0) co_return std::nullopt;
  co_return s;
}

order::Address address_from_form(const QueryPairs& form) {
  return order::address_from_fields([&form](std::string_view name) { return form_field(form, name); });
}

// ---- JSON API ----

Task<http::Response> api_addresses(const Site& site, http::Request& req) {
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  const auto all = co_await site.orders->addresses(s->user_id, shopper::last_write(req));
  json::array items;
  for (const auto& a : all) items.emplace_back(order::to_json(a));
  co_return http::Response::json(200, json::serialize(json::object{{"items", std::move(items)}}));
}

Task<http::Response> api_add_address(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  auto added = co_await site.orders->add_address(s->user_id, order::address_from_json(*body));
  if (!added) co_return order_error(added.error());
  auto r = http::Response::json(201, json::serialize(order::to_json(*added)));
  co_await shopper::remember_write(site, r, req.secure);
  co_return r;
}

Task<http::Response> api_update_address(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  const auto id = detail::parse_id(req.path_params[0]);
  if (!id) co_return http::Response::error(404, "not_found", "no such address");
  auto saved = co_await site.orders->update_address(s->user_id, *id, order::address_from_json(*body));
  if (!saved) co_return order_error(saved.error());
  auto r = http::Response::json(200, json::serialize(order::to_json(*saved)));
  co_await shopper::remember_write(site, r, req.secure);
  co_return r;
}

Task<http::Response> api_delete_address(const Site& site, http::Request& req) {
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  const auto id = detail::parse_id(req.path_params[0]);
  if (!id || !co_await site.orders->delete_address(s->user_id, *id)) {
    co_return http::Response::error(404, "not_found", "no such address");
  }
  http::Response r;
  r.status = 204;
  co_await shopper::remember_write(site, r, req.secure);
  co_return r;
}

Task<http::Response> api_checkout(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  const auto* address = body->if_contains("address_id");
  if (address == nullptr || !address->is_int64() || address->as_int64() <= 0) {
    co_return http::Response::error(422, "invalid_input", "address_id must be the id of one of your addresses");
  }
  std::string key(req.header("Idempotency-Key"));
  auto placed = co_await site.orders->checkout(*s, address->as_int64(), std::move(key));
  if (!placed) co_return order_error(placed.error());
  auto r = http::Response::json(placed->created ? 201 : 200, json::serialize(placed->order));
  shopper::send_session_if_changed(site, r, *s, false, req.secure);
  co_await shopper::remember_write(site, r, req.secure, placed->written);
  co_return r;
}

Task<http::Response> api_orders(const Site& site, http::Request& req) {
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  const auto all = co_await site.orders->orders(s->user_id, shopper::last_write(req));
  json::array items(all.begin(), all.end());
  co_return http::Response::json(200, json::serialize(json::object{{"items", std::move(items)}}));
}

Task<http::Response> api_order(const Site& site, http::Request& req) {
  auto s = co_await user_session(site, req);
  if (!s) co_return not_logged_in();
  const auto id = detail::parse_id(req.path_params[0]);
  std::optional<json::object> found;
  if (id) found = co_await site.orders->order(s->user_id, *id, shopper::last_write(req));
  if (!found) co_return http::Response::error(404, "not_found", "no such order");  // also another user's
  co_return http::Response::json(200, json::serialize(*found));
}

// ---- pages ----

Task<http::Response> addresses_page_with(const Site& site, http::Request& req, int status, std::string error,
                                         json::object draft) {
  PageContext page(site, req);
  co_await page.load_categories();
  if (!page.session() || page.session()->user_id == 0) co_return see_other(login_url(page));
  const auto all = co_await site.orders->addresses(page.session()->user_id, shopper::last_write(req));
  json::array items;
  for (const auto& a : all) items.emplace_back(order::to_json(a));
  if (!draft.contains("country")) draft["country"] = "KR";
  const std::string back = req.query_param("return").value_or("") == "/checkout" ? "/checkout" : "";
  json::object ctx{{"addresses", std::move(items)}, {"draft", std::move(draft)}, {"return_to", back}};
  if (!error.empty()) ctx["error"] = std::move(error);
  const Lang lang = page.lang();
  co_return page.render(status, "addresses", detail::site_title(lang, tr(lang, "addresses")), ctx);
}

Task<http::Response> addresses_page(const Site& site, http::Request& req) {
  json::object draft;
  co_return co_await addresses_page_with(site, req, 200, std::string(), std::move(draft));
}

Task<http::Response> form_add_address(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  auto s = co_await user_session(site, req);
  if (!s) co_return see_other("/login");
  if (!shopper::form_token_ok(req, form)) co_return see_other("/account/addresses");
  auto a = address_from_form(form);
  auto added = co_await site.orders->add_address(s->user_id, a);
  if (!added) {
    std::string message = fmt::format("{} ({})", tr(lang, "error_address"), added.error().field);
    json::object draft = order::to_json(a);
    co_return co_await addresses_page_with(site, req, 422, std::move(message), std::move(draft));
  }
  auto r = see_other(form_field(form, "return") == "/checkout" ? "/checkout" : "/account/addresses");
  co_await shopper::remember_write(site, r, req.secure);
  co_return r;
}

Task<http::Response> form_change_address(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  auto s = co_await user_session(site, req);
  if (!s) co_return see_other("/login");
  const auto id = detail::parse_id(req.path_params[0]);
  if (!shopper::form_token_ok(req, form) || !id) co_return see_other("/account/addresses");
  const std::string action = form_field(form, "action");
  if (action == "delete") {
    co_await site.orders->delete_address(s->user_id, *id);
    auto r = see_other("/account/addresses");
    co_await shopper::remember_write(site, r, req.secure);
    co_return r;
  }
  auto a = address_from_form(form);
  a.is_default = action == "default";
  auto saved = co_await site.orders->update_address(s->user_id, *id, a);
  if (!saved) {
    std::string message = fmt::format("{} ({})", tr(lang, "error_address"), saved.error().field);
    json::object draft;
    co_return co_await addresses_page_with(site, req, saved.error().status(), std::move(message), std::move(draft));
  }
  auto r = see_other("/account/addresses");
  co_await shopper::remember_write(site, r, req.secure);
  co_return r;
}

Task<http::Response> checkout_page_with(const Site& site, http::Request& req, int status, std::string error) {
  PageContext page(site, req);
  co_await page.load_categories();
  if (!page.session() || page.session()->user_id == 0) co_return see_other(login_url(page));
  const Lang lang = page.lang();
  const auto c = co_await site.cart->view(page.session());
  if (c.items.empty() && error.empty()) co_return see_other("/cart");
  const auto all = co_await site.orders->addresses(page.session()->user_id, shopper::last_write(req));
  json::array addresses;
  for (const auto& a : all) addresses.emplace_back(order::to_json(a));
  json::array items;
  for (const auto& l : c.items) items.emplace_back(cart_line_view(lang, l));
  json::object ctx{{"items", std::move(items)},
                   {"has_addresses", !all.empty()},
                   {"addresses", std::move(addresses)},
                   {"total_text", format_krw(c.total)},
                   {"idempotency_key", random_token(24)}};
  if (!error.empty()) ctx["error"] = std::move(error);
  co_return page.render(status, "checkout", detail::site_title(lang, tr(lang, "checkout")), ctx);
}

Task<http::Response> checkout_page(const Site& site, http::Request& req) {
  co_return co_await checkout_page_with(site, req, 200, std::string());
}

Task<http::Response> form_checkout(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  auto s = co_await user_session(site, req);
  if (!s) co_return see_other("/login");
  if (!shopper::form_token_ok(req, form)) {
    std::string message(tr(lang, "error_csrf"));
    co_return co_await checkout_page_with(site, req, 403, std::move(message));
  }
  const auto address = detail::parse_id(form_field(form, "address_id"));
  if (!address) {
    std::string message(tr(lang, "error_choose_address"));
    co_return co_await checkout_page_with(site, req, 422, std::move(message));
  }
  std::string key = form_field(form, "idempotency_key");
  auto placed = co_await site.orders->checkout(*s, *address, std::move(key));
  if (!placed) {
    const auto& e = placed.error();
    std::string message = e.code == order::Error::Code::kInsufficientStock
                              ? fmt::format("{} ({}: {})", tr(lang, "line_unavailable"), e.sku, e.available)
                          : e.code == order::Error::Code::kEmptyCart ? std::string(tr(lang, "error_empty_cart"))
                                                                     : std::string(tr(lang, "error_choose_address"));
    co_return co_await checkout_page_with(site, req, e.status(), std::move(message));
  }
  auto placed_url = fmt::format("/orders/{}?placed=1", placed->order.at("id").as_int64());
  auto r = s->reissue ? see_other(std::move(placed_url), site, req, *s) : see_other(std::move(placed_url));
  co_await shopper::remember_write(site, r, req.secure, placed->written);
  co_return r;
}

json::object order_view(Lang lang, const json::object& o) {
  json::array items;
  std::int64_t units = 0;
  for (const auto& v : o.at("items").as_array()) {
    const auto& i = v.as_object();
    const catalog::Localized name{std::string(i.at("name").at("ko").as_string()),
                                  std::string(i.at("name").at("en").as_string())};
    const auto product_id = i.at("product_id").as_int64();
    const std::string color(i.at("color").as_string());
    units += i.at("qty").as_int64();
    const auto* slug = i.if_contains("slug");
    const auto* category = i.if_contains("category");
    const bool listed = slug && slug->is_string() && category && category->is_string();
    items.emplace_back(
        json::object{{"sku", i.at("sku")},
                     {"url", listed ? "/p/" + std::string(slug->as_string()) : std::string("/")},
                     {"image_url", listed ? catalog::image_url(category->as_string(), product_id, color, name.en)
                                          : std::string("/static/favicon.svg")},
                     {"name", detail::pick(lang, name)},
                     {"color_name", detail::color_name(lang, color)},
                     {"size", i.at("size")},
                     {"qty", i.at("qty")},
                     {"unit_price_text", format_krw(i.at("unit_price").as_int64())},
                     {"line_total_text", format_krw(i.at("line_total").as_int64())}});
  }
  const auto id = o.at("id").as_int64();
  return json::object{{"id", id},
                      {"title", tr_n(lang, "order_n", id)},
                      {"created_text", std::string(o.at("created_at").as_string()).substr(0, 10)},
                      {"status_text", tr(lang, "status_placed")},
                      {"items", std::move(items)},
                      {"items_text", tr_n(lang, "items_in_cart", units)},
                      {"total_text", format_krw(o.at("total").as_int64())},
                      {"address", o.at("address")}};
}

Task<http::Response> orders_page(const Site& site, http::Request& req) {
  PageContext page(site, req);
  co_await page.load_categories();
  if (!page.session() || page.session()->user_id == 0) co_return see_other(login_url(page));
  const Lang lang = page.lang();
  const auto all = co_await site.orders->orders(page.session()->user_id, shopper::last_write(req));
  json::array orders;
  for (const auto& o : all) orders.emplace_back(order_view(lang, o));
  json::object ctx{{"orders", std::move(orders)}};
  co_return page.render(200, "orders", detail::site_title(lang, tr(lang, "orders")), ctx);
}

Task<http::Response> order_page(const Site& site, http::Request& req) {
  PageContext page(site, req);
  co_await page.load_categories();
  if (!page.session() || page.session()->user_id == 0) co_return see_other(login_url(page));
  const Lang lang = page.lang();
  const auto id = detail::parse_id(req.path_params[0]);
  std::optional<json::object> found;
  if (id) found = co_await site.orders->order(page.session()->user_id, *id, shopper::last_write(req));
  if (!found) co_return page.not_found(std::string(tr(lang, "not_found_message")));
  auto ctx = order_view(lang, *found);
  ctx["just_placed"] = req.query_param("placed").has_value();
  const std::string title(ctx.at("title").as_string());
  co_return page.render(200, "order", detail::site_title(lang, title), ctx);
}

}  // namespace

void add_order_routes(http::Router& router, const Site& site) {
  if (site.orders == nullptr || site.sessions == nullptr || site.cart == nullptr) return;
  detail::add_guarded(router, site, "Orders are briefly unavailable. Please retry in a moment.",
                      {{http::Method::kGet, "/api/v1/me/addresses", api_addresses},
                       {http::Method::kPost, "/api/v1/me/addresses", api_add_address},
                       {http::Method::kPut, "/api/v1/me/addresses/{id}", api_update_address},
                       {http::Method::kDelete, "/api/v1/me/addresses/{id}", api_delete_address},
                       {http::Method::kPost, "/api/v1/checkout", api_checkout},
                       {http::Method::kGet, "/api/v1/orders", api_orders},
                       {http::Method::kGet, "/api/v1/orders/{id}", api_order},
                       {http::Method::kGet, "/account/addresses", addresses_page},
                       {http::Method::kPost, "/account/addresses", form_add_address},
                       {http::Method::kPost, "/account/addresses/{id}", form_change_address},
                       {http::Method::kGet, "/checkout", checkout_page},
                       {http::Method::kPost, "/checkout", form_checkout},
                       {http::Method::kGet, "/orders", orders_page},
                       {http::Method::kGet, "/orders/{id}", order_page}});
}

}  // namespace mc::web
