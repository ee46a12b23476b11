// Addresses, checkout and orders: the JSON API (/api/v1/me/addresses, /api/v1/checkout, /api/v1/orders)
// and the pages (/account/addresses, /checkout, /orders, /orders/{id}). All of it needs a logged-in shopper:
// the API answers 401 not_logged_in, the pages send the shopper to /login.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "cart/cart.hpp"
#include "core/ids.hpp"
#include "order/order.hpp"
#include "web/cart_view.hpp"
#include "web/errors.hpp"
#include "web/handlers.hpp"
#include "web/page_context.hpp"
#include "web/routes.hpp"
#include "web/shopper.hpp"

namespace mc::web {
namespace {

namespace json = boost::json;
using detail::form_field;
using detail::json_object_body;
using detail::PageContext;
using detail::see_other;

http::Response order_error(const order::Error& e) {
  auto r = api_error(answer(e.code), e.message);
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

// The signed-in shopper's session; null for a guest or nobody.
Task<session::Session*> user_session(Shopper& shopper) {
  auto* s = co_await shopper.session();
  co_return s != nullptr && s->user_id != 0 ? s : nullptr;
}

order::Address address_from_form(const QueryPairs& form) {
  return order::address_from_fields([&form](std::string_view name) { return form_field(form, name); });
}

}  // namespace

void OrderRoutes::add_to(http::Router& router) {
  router.add(http::Method::kGet, "/api/v1/me/addresses", sessions_.personal(this, &OrderRoutes::api_addresses));
  router.add(http::Method::kPost, "/api/v1/me/addresses", sessions_.personal(this, &OrderRoutes::api_add_address));
  router.add(http::Method::kPut, "/api/v1/me/addresses/{id}",
             sessions_.personal(this, &OrderRoutes::api_update_address));
  router.add(http::Method::kDelete, "/api/v1/me/addresses/{id}",
             sessions_.personal(this, &OrderRoutes::api_delete_address));
  router.add(http::Method::kPost, "/api/v1/checkout", sessions_.personal(this, &OrderRoutes::api_checkout));
  router.add(http::Method::kGet, "/api/v1/orders", sessions_.personal(this, &OrderRoutes::api_orders));
  router.add(http::Method::kGet, "/api/v1/orders/{id}", sessions_.personal(this, &OrderRoutes::api_order));
  router.add(http::Method::kGet, "/account/addresses", sessions_.personal(this, &OrderRoutes::addresses_page));
  router.add(http::Method::kPost, "/account/addresses", sessions_.personal(this, &OrderRoutes::form_add_address));
  router.add(http::Method::kPost, "/account/addresses/{id}",
             sessions_.personal(this, &OrderRoutes::form_change_address));
  router.add(http::Method::kGet, "/checkout", sessions_.personal(this, &OrderRoutes::checkout_page));
  router.add(http::Method::kPost, "/checkout", sessions_.personal(this, &OrderRoutes::form_checkout));
  router.add(http::Method::kGet, "/orders", sessions_.personal(this, &OrderRoutes::orders_page));
  router.add(http::Method::kGet, "/orders/{id}", sessions_.personal(this, &OrderRoutes::order_page));
}

// The shopper's next reads should see this write: where the primary is now (`known`, or asked).
Task<void> OrderRoutes::remember_write(Shopper& shopper, std::uint64_t known) {
  const db::Lsn at = known != 0 ? known : co_await db_.primary_lsn();
  if (at != 0) shopper.wrote(at);
}

// ---- JSON API ----

Task<http::Response> OrderRoutes::api_addresses(http::Request&, Shopper& shopper) {
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  const auto all = co_await orders_.addresses(s->user_id, shopper.last_write());
  json::array items;
  for (const auto& a : all) items.emplace_back(order::to_json(a));
  co_return http::Response::json(200, json::serialize(json::object{{"items", std::move(items)}}));
}

Task<http::Response> OrderRoutes::api_add_address(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  auto added = co_await orders_.add_address(s->user_id, order::address_from_json(*body));
  if (!added) co_return order_error(added.error());
  auto r = http::Response::json(201, json::serialize(order::to_json(*added)));
  co_await remember_write(shopper);
  co_return r;
}

Task<http::Response> OrderRoutes::api_update_address(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  const auto id = detail::parse_id(req.path_params[0]);
  if (!id) co_return http::Response::error(404, "not_found", "no such address");
  auto saved = co_await orders_.update_address(s->user_id, *id, order::address_from_json(*body));
  if (!saved) co_return order_error(saved.error());
  auto r = http::Response::json(200, json::serialize(order::to_json(*saved)));
  co_await remember_write(shopper);
  co_return r;
}

Task<http::Response> OrderRoutes::api_delete_address(http::Request& req, Shopper& shopper) {
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  const auto id = detail::parse_id(req.path_params[0]);
  if (!id || !co_await orders_.delete_address(s->user_id, *id)) {
    co_return http::Response::error(404, "not_found", "no such address");
  }
  http::Response r;
  r.status = 204;
  co_await remember_write(shopper);
  co_return r;
}

Task<http::Response> OrderRoutes::api_checkout(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  const auto* address = body->if_contains("address_id");
  if (address == nullptr || !address->is_int64() || address->as_int64() <= 0) {
    co_return http::Response::error(422, "invalid_input", "address_id must be the id of one of your addresses");
  }
  std::string key(req.header("Idempotency-Key"));
  auto placed = co_await orders_.checkout(*s, address->as_int64(), std::move(key));
  if (!placed) co_return order_error(placed.error());
  auto r = http::Response::json(placed->created ? 201 : 200, json::serialize(placed->order));
  co_await remember_write(shopper, placed->written);
  co_return r;
}

Task<http::Response> OrderRoutes::api_orders(http::Request&, Shopper& shopper) {
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  const auto all = co_await orders_.orders(s->user_id, shopper.last_write());
  json::array items(all.begin(), all.end());
  co_return http::Response::json(200, json::serialize(json::object{{"items", std::move(items)}}));
}

Task<http::Response> OrderRoutes::api_order(http::Request& req, Shopper& shopper) {
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return not_logged_in();
  const auto id = detail::parse_id(req.path_params[0]);
  std::optional<json::object> found;
  if (id) found = co_await orders_.order(s->user_id, *id, shopper.last_write());
  if (!found) co_return http::Response::error(404, "not_found", "no such order");  // also another user's
  co_return http::Response::json(200, json::serialize(*found));
}

// ---- pages ----

Task<http::Response> OrderRoutes::addresses_page_with(http::Request& req, Shopper& shopper, int status,
                                                      std::string error, json::object draft) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  if (!page.signed_in()) co_return see_other(login_url(page));
  const auto all = co_await orders_.addresses(page.session()->user_id, shopper.last_write());
  json::array items;
  for (const auto& a : all) items.emplace_back(order::to_json(a));
  if (!draft.contains("country")) draft["country"] = "KR";
  const std::string back = req.query_param("return").value_or("") == "/checkout" ? "/checkout" : "";
  json::object ctx{{"addresses", std::move(items)}, {"draft", std::move(draft)}, {"return_to", back}};
  if (!error.empty()) ctx["error"] = error;
  const Lang lang = page.lang();
  co_return page.render(status, "addresses", detail::site_title(lang, tr(lang, "addresses")), ctx);
}

Task<http::Response> OrderRoutes::addresses_page(http::Request& req, Shopper& shopper) {
  json::object draft;
  co_return co_await addresses_page_with(req, shopper, 200, std::string(), std::move(draft));
}

Task<http::Response> OrderRoutes::form_add_address(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return see_other("/login");
  if (!shopper.form_token_ok(form)) co_return see_other("/account/addresses");
  auto a = address_from_form(form);
  auto added = co_await orders_.add_address(s->user_id, a);
  if (!added) {
    std::string message = fmt::format("{} ({})", tr(lang, "error_address"), added.error().field);
    json::object draft = order::to_json(a);
    co_return co_await addresses_page_with(req, shopper, 422, std::move(message), std::move(draft));
  }
  auto r = see_other(form_field(form, "return") == "/checkout" ? "/checkout" : "/account/addresses");
  co_await remember_write(shopper);
  co_return r;
}

Task<http::Response> OrderRoutes::form_change_address(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return see_other("/login");
  const auto id = detail::parse_id(req.path_params[0]);
  if (!shopper::form_token_ok(req, form) || !id) co_return see_other("/account/addresses");
  const std::string action = form_field(form, "action");
  if (action == "delete") {
    co_await orders_.delete_address(s->user_id, *id);
    auto r = see_other("/account/addresses");
    co_await remember_write(shopper);
    co_return r;
  }
  auto a = address_from_form(form);
  a.is_default = action == "default";
  auto saved = co_await orders_.update_address(s->user_id, *id, a);
  if (!saved) {
    std::string message = fmt::format("{} ({})", tr(lang, "error_address"), saved.error().field);
    json::object draft;
    co_return co_await addresses_page_with(req, shopper, answer(saved.error().code).status, std::move(message),
                                           std::move(draft));
  }
  auto r = see_other("/account/addresses");
  co_await remember_write(shopper);
  co_return r;
}

Task<http::Response> OrderRoutes::checkout_page_with(http::Request&, Shopper& shopper, int status, std::string error) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  if (!page.signed_in()) co_return see_other(login_url(page));
  const Lang lang = page.lang();
  const auto c = co_await cart_.view(page.session());
  if (c.items.empty() && error.empty()) co_return see_other("/cart");
  const auto all = co_await orders_.addresses(page.session()->user_id, shopper.last_write());
  json::array addresses;
  for (const auto& a : all) addresses.emplace_back(order::to_json(a));
  json::array items;
  for (const auto& l : c.items) items.emplace_back(cart_line_view(lang, l));
  json::object ctx{{"items", std::move(items)},
                   {"has_addresses", !all.empty()},
                   {"addresses", std::move(addresses)},
                   {"total_text", format_krw(c.total)},
                   {"idempotency_key", random_token(24)}};
  if (!error.empty()) ctx["error"] = error;
  co_return page.render(status, "checkout", detail::site_title(lang, tr(lang, "checkout")), ctx);
}

Task<http::Response> OrderRoutes::checkout_page(http::Request& req, Shopper& shopper) {
  co_return co_await checkout_page_with(req, shopper, 200, std::string());
}

Task<http::Response> OrderRoutes::form_checkout(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  auto* s = co_await user_session(shopper);
  if (s == nullptr) co_return see_other("/login");
  if (!shopper.form_token_ok(form)) {
    std::string message(tr(lang, "error_csrf"));
    co_return co_await checkout_page_with(req, shopper, 403, std::move(message));
  }
  const auto address = detail::parse_id(form_field(form, "address_id"));
  if (!address) {
    std::string message(tr(lang, "error_choose_address"));
    co_return co_await checkout_page_with(req, shopper, 422, std::move(message));
  }
  std::string key = form_field(form, "idempotency_key");
  auto placed = co_await orders_.checkout(*s, *address, std::move(key));
  if (!placed) {
    const auto& e = placed.error();
    const int status = answer(e.code).status;
    std::string message = e.code == order::Error::Code::kInsufficientStock
                              ? fmt::format("{} ({}: {})", tr(lang, "line_unavailable"), e.sku, e.available)
                          : e.code == order::Error::Code::kEmptyCart ? std::string(tr(lang, "error_empty_cart"))
                                                                     : std::string(tr(lang, "error_choose_address"));
    co_return co_await checkout_page_with(req, shopper, status, std::move(message));
  }
  auto placed_url = fmt::format("/orders/{}?placed=1", placed->order.at("id").as_int64());
  auto r = see_other(std::move(placed_url));
  co_await remember_write(shopper, placed->written);
  co_return r;
}

namespace {

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

}  // namespace

Task<http::Response> OrderRoutes::orders_page(http::Request&, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  if (!page.signed_in()) co_return see_other(login_url(page));
  const Lang lang = page.lang();
  const auto all = co_await orders_.orders(page.session()->user_id, shopper.last_write());
  json::array orders;
  for (const auto& o : all) orders.emplace_back(order_view(lang, o));
  json::object ctx{{"orders", std::move(orders)}};
  co_return page.render(200, "orders", detail::site_title(lang, tr(lang, "orders")), ctx);
}

Task<http::Response> OrderRoutes::order_page(http::Request& req, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  if (!page.signed_in()) co_return see_other(login_url(page));
  const Lang lang = page.lang();
  const auto id = detail::parse_id(req.path_params[0]);
  std::optional<json::object> found;
  if (id) found = co_await orders_.order(page.session()->user_id, *id, shopper.last_write());
  if (!found) co_return page.not_found(std::string(tr(lang, "not_found_message")));
  auto ctx = order_view(lang, *found);
  ctx["just_placed"] = req.query_param("placed").has_value();
  const std::string title(ctx.at("title").as_string());
  co_return page.render(200, "order", detail::site_title(lang, title), ctx);
}

}  // namespace mc::web
