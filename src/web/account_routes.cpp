// Accounts: register, log in, log out, "me" — the JSON API under /api/v1/auth and /api/v1/me, and the
// pages /login, /register, /logout (POST) and /account. Logging in gives the shopper a new session id and
// merges the guest cart into the account's cart; logging out gives a new, empty guest session.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "account/account.hpp"
#include "cart/cart.hpp"
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
using detail::string_field;

json::object user_json(const account::User& u) {
  return json::object{{"id", u.id}, {"email", u.email}, {"name", u.name}};
}

http::Response account_error(const account::Error& e) {
  auto r = api_error(answer(e.code), e.message);
  if (e.code == account::Error::Code::kTooManyAttempts) r.set("Retry-After", std::to_string(account::kWindowSeconds));
  return r;
}

std::string message_for(Lang lang, const account::Error& e) {
  if (e.code == account::Error::Code::kInvalidInput) return std::string(tr(lang, "error_invalid_" + e.field));
  return error_text(lang, answer(e.code));
}

// The shopper, not the load balancer in front of them (http/client_address.hpp): login limits count per client.
std::string client_of(const http::Request& req) {
  if (!req.client_address.empty()) return req.client_address;
  return req.remote_address.empty() ? std::string("unknown") : req.remote_address;
}

http::Response user_response(int status, const account::User& u) {
  return http::Response::json(status, json::serialize(json::object{{"user", user_json(u)}}));
}

}  // namespace

void AccountRoutes::add_to(http::Router& router) {
  router.add(http::Method::kPost, "/api/v1/auth/register", sessions_.personal(this, &AccountRoutes::api_register));
  router.add(http::Method::kPost, "/api/v1/auth/login", sessions_.personal(this, &AccountRoutes::api_login));
  router.add(http::Method::kPost, "/api/v1/auth/logout", sessions_.personal(this, &AccountRoutes::api_logout));
  router.add(http::Method::kGet, "/api/v1/me", sessions_.personal(this, &AccountRoutes::api_me));
  router.add(http::Method::kGet, "/login", sessions_.personal(this, &AccountRoutes::login_page));
  router.add(http::Method::kPost, "/login", sessions_.personal(this, &AccountRoutes::form_login));
  router.add(http::Method::kGet, "/register", sessions_.personal(this, &AccountRoutes::register_page));
  router.add(http::Method::kPost, "/register", sessions_.personal(this, &AccountRoutes::form_register));
  router.add(http::Method::kPost, "/logout", sessions_.personal(this, &AccountRoutes::form_logout));
  router.add(http::Method::kGet, "/account", sessions_.personal(this, &AccountRoutes::account_page));
}

// The session a signed-in shopper continues with: a new id for the user, the guest cart merged into theirs.
Task<void> AccountRoutes::sign_in(Shopper& shopper, std::int64_t user_id) {
  auto* current = co_await shopper.session();
  if (current != nullptr && current->user_id == 0) co_await cart_.merge_into_user(*current, user_id);
  co_await shopper.rotate(user_id);
}

// ---- JSON API ----

Task<http::Response> AccountRoutes::api_register(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  account::Registration r{string_field(*body, "email"), string_field(*body, "password"), string_field(*body, "name")};
  auto user = co_await accounts_.register_user(std::move(r));
  if (!user) co_return account_error(user.error());
  co_await sign_in(shopper, user->id);
  co_return user_response(201, *user);
}

Task<http::Response> AccountRoutes::api_login(http::Request& req, Shopper& shopper) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  auto user =
      co_await accounts_.authenticate(string_field(*body, "email"), string_field(*body, "password"), client_of(req));
  if (!user) co_return account_error(user.error());
  co_await sign_in(shopper, user->id);
  co_return user_response(200, *user);
}

// Logging out: a fresh guest session in place of the user's (the account's cart stays with the account).
Task<http::Response> AccountRoutes::api_logout(http::Request& req, Shopper& shopper) {
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  // (The session is awaited into a variable: GCC 12 miscompiles a co_await that is an operand of ==.)
  const auto* current = co_await shopper.session();
  if (current != nullptr) co_await shopper.rotate(0);
  http::Response r;
  r.status = 204;
  co_return r;
}

Task<http::Response> AccountRoutes::api_me(http::Request&, Shopper& shopper) {
  const auto* s = co_await shopper.session();
  if (s != nullptr && s->user_id != 0) {
    if (auto u = co_await accounts_.find(s->user_id)) co_return user_response(200, *u);
  }
  co_return http::Response::error(401, "not_logged_in", "Log in first.");
}

// ---- pages ----

Task<http::Response> AccountRoutes::auth_page(http::Request&, Shopper& shopper, std::string_view which, int status,
                                              json::object ctx) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  if (page.signed_in() && status == 200) co_return see_other("/account");
  const std::string key(which == "login" ? "login" : "register");
  co_return page.render(status, which, detail::site_title(page.lang(), tr(page.lang(), key)), ctx);
}

Task<http::Response> AccountRoutes::login_page(http::Request& req, Shopper& shopper) {
  json::object empty;
  if (req.query_param("expired")) empty["notice"] = tr(shopper.lang(), "session_expired");
  co_return co_await auth_page(req, shopper, "login", 200, std::move(empty));
}

Task<http::Response> AccountRoutes::register_page(http::Request& req, Shopper& shopper) {
  co_return co_await auth_page(req, shopper, "register", 200, json::object{});
}

Task<http::Response> AccountRoutes::form_login(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  std::string email = form_field(form, "email");
  json::object ctx{{"email", email}};
  if (!shopper.form_token_ok(form)) {
    ctx["error"] = tr(lang, "error_csrf");
    co_return co_await auth_page(req, shopper, "login", 403, std::move(ctx));
  }
  auto user = co_await accounts_.authenticate(std::move(email), form_field(form, "password"), client_of(req));
  if (!user) {
    ctx["error"] = message_for(lang, user.error());
    auto page = co_await auth_page(req, shopper, "login", answer(user.error().code).status, std::move(ctx));
    if (user.error().code == account::Error::Code::kTooManyAttempts) {
      page.set("Retry-After", std::to_string(account::kWindowSeconds));
    }
    co_return page;
  }
  co_await sign_in(shopper, user->id);
  co_return see_other("/account");
}

Task<http::Response> AccountRoutes::form_register(http::Request& req, Shopper& shopper) {
  const auto form = query_pairs(req.body);
  const Lang lang = shopper.lang();
  account::Registration r{form_field(form, "email"), form_field(form, "password"), form_field(form, "name")};
  json::object ctx{{"email", r.email}, {"name", r.name}};
  if (!shopper.form_token_ok(form)) {
    ctx["error"] = tr(lang, "error_csrf");
    co_return co_await auth_page(req, shopper, "register", 403, std::move(ctx));
  }
  auto user = co_await accounts_.register_user(std::move(r));
  if (!user) {
    ctx["error"] = message_for(lang, user.error());
    co_return co_await auth_page(req, shopper, "register", answer(user.error().code).status, std::move(ctx));
  }
  co_await sign_in(shopper, user->id);
  co_return see_other("/account");
}

Task<http::Response> AccountRoutes::form_logout(http::Request& req, Shopper& shopper) {
  if (!shopper.form_token_ok(query_pairs(req.body))) co_return see_other("/account");
  const auto* current = co_await shopper.session();
  if (current == nullptr) co_return see_other("/");
  co_await shopper.rotate(0);
  co_return see_other("/");
}

Task<http::Response> AccountRoutes::account_page(http::Request&, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories(PageContext::Needs::kSession);
  if (!page.signed_in()) co_return see_other(page.session_expired() ? "/login?expired=1" : "/login");
  auto user = co_await accounts_.find(page.session()->user_id);
  if (!user) co_return see_other("/login");
  const Lang lang = page.lang();
  json::object ctx{{"user", user_json(*user)}, {"greeting", tr_with(lang, "hello_name", "name", user->name)}};
  co_return page.render(200, "account", detail::site_title(lang, tr(lang, "account")), ctx);
}

}  // namespace mc::web
