// Accounts: register, log in, log out, "me" — the JSON API under /api/v1/auth and /api/v1/me, and the
// pages /login, /register, /logout (POST) and /account. Logging in gives the shopper a new session id and
// merges the guest cart into the account's cart; logging out gives a new, empty guest session.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "account/account.hpp"
#include "cart/cart.hpp"
#include "web/api.hpp"
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

json::object user_json(const account::User& u) {
  return json::object{{"id", u.id}, {"email", u.email}, {"name", u.name}};
}

http::Response account_error(const account::Error& e) {
  auto r = http::Response::error(e.status(), e.api_code(), e.message);
  if (e.code == account::Error::Code::kTooManyAttempts) r.set("Retry-After", std::to_string(account::kWindowSeconds));
  return r;
}

std::string message_for(Lang lang, const account::Error& e) {
  if (e.code == account::Error::Code::kInvalidInput) return std::string(tr(lang, "error_invalid_" + e.field));
  return std::string(tr(lang, "error_" + std::string(e.api_code())));
}

std::string client_of(const http::Request& req) {
  return req.remote_address.empty() ? std::string("unknown") : req.remote_address;
}

// The session a signed-in shopper continues with: a new id for the user, the guest cart merged into theirs.
Task<session::Session> sign_in(const Site& site, const http::Request& req, std::int64_t user_id) {
  auto current = co_await shopper::find_session(site, req);
  if (current && current->user_id == 0) co_await site.cart->merge_into_user(*current, user_id);
  const session::Session old = current ? *current : session::Session{session::new_id(), 0};
  co_return co_await site.sessions->rotate(old, user_id);
}

// Logging out: a fresh guest session in place of the user's (the account's cart stays with the account).
Task<std::optional<session::Session>> sign_out(const Site& site, const http::Request& req) {
  auto current = co_await shopper::find_session(site, req);
  if (!current) co_return std::nullopt;
  co_return co_await site.sessions->rotate(*current, 0);
}

std::string string_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

http::Response signed_in_json(const Site& site, int status, const account::User& u, const session::Session& s,
                              bool secure) {
  auto r = http::Response::json(status, json::serialize(json::object{{"user", user_json(u)}}));
  shopper::set_session_cookie(site, r, s, secure);
  return r;
}

// ---- JSON API ----

Task<http::Response> api_register(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  account::Registration r{string_field(*body, "email"), string_field(*body, "password"), string_field(*body, "name")};
  auto user = co_await site.accounts->register_user(std::move(r));
  if (!user) co_return account_error(user.error());
  auto s = co_await sign_in(site, req, user->id);
  co_return signed_in_json(site, 201, *user, s, req.secure);
}

Task<http::Response> api_login(const Site& site, http::Request& req) {
  auto body = json_object_body(req);
  if (!body) co_return body.error();
  std::string email = string_field(*body, "email");
  std::string password = string_field(*body, "password");
  std::string client = client_of(req);
  auto user = co_await site.accounts->authenticate(std::move(email), std::move(password), std::move(client));
  if (!user) co_return account_error(user.error());
  auto s = co_await sign_in(site, req, user->id);
  co_return signed_in_json(site, 200, *user, s, req.secure);
}

Task<http::Response> api_logout(const Site& site, http::Request& req) {
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  auto fresh = co_await sign_out(site, req);
  http::Response r;
  r.status = 204;
  if (fresh) shopper::set_session_cookie(site, r, *fresh, req.secure);
  co_return r;
}

Task<http::Response> api_me(const Site& site, http::Request& req) {
  auto s = co_await shopper::find_session(site, req);
  if (s && s->user_id) {
    if (auto u = co_await site.accounts->find(s->user_id)) {
      co_return http::Response::json(200, json::serialize(json::object{{"user", user_json(*u)}}));
    }
  }
  co_return http::Response::error(401, "not_logged_in", "Log in first.");
}

// ---- pages ----

Task<http::Response> auth_page(const Site& site, http::Request& req, std::string_view which, int status,
                               json::object ctx) {
  PageContext page(site, req);
  co_await page.load_categories();
  if (page.session() && page.session()->user_id && status == 200) co_return see_other("/account");
  const std::string key(which == "login" ? "login" : "register");
  co_return page.render(status, which, detail::site_title(page.lang(), tr(page.lang(), key)), ctx);
}

Task<http::Response> login_page(const Site& site, http::Request& req) {
  json::object empty;
  if (req.query_param("expired")) empty["notice"] = tr(detail::choose_lang(req).lang, "session_expired");
  co_return co_await auth_page(site, req, "login", 200, std::move(empty));
}

Task<http::Response> register_page(const Site& site, http::Request& req) {
  json::object empty;
  co_return co_await auth_page(site, req, "register", 200, std::move(empty));
}

Task<http::Response> form_login(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  std::string email = form_field(form, "email");
  json::object ctx{{"email", email}};
  if (!shopper::form_token_ok(req, form)) {
    ctx["error"] = tr(lang, "error_csrf");
    co_return co_await auth_page(site, req, "login", 403, std::move(ctx));
  }
  std::string password = form_field(form, "password");
  std::string client = client_of(req);
  auto user = co_await site.accounts->authenticate(std::move(email), std::move(password), std::move(client));
  if (!user) {
    ctx["error"] = message_for(lang, user.error());
    auto page = co_await auth_page(site, req, "login", user.error().status(), std::move(ctx));
    if (user.error().code == account::Error::Code::kTooManyAttempts) page.set("Retry-After", "900");
    co_return page;
  }
  auto s = co_await sign_in(site, req, user->id);
  co_return see_other("/account", site, req, s);
}

Task<http::Response> form_register(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  const Lang lang = detail::choose_lang(req).lang;
  account::Registration r{form_field(form, "email"), form_field(form, "password"), form_field(form, "name")};
  json::object ctx{{"email", r.email}, {"name", r.name}};
  if (!shopper::form_token_ok(req, form)) {
    ctx["error"] = tr(lang, "error_csrf");
    co_return co_await auth_page(site, req, "register", 403, std::move(ctx));
  }
  auto user = co_await site.accounts->register_user(std::move(r));
  if (!user) {
    ctx["error"] = message_for(lang, user.error());
    co_return co_await auth_page(site, req, "register", user.error().status(), std::move(ctx));
  }
  auto s = co_await sign_in(site, req, user->id);
  co_return see_other("/account", site, req, s);
}

Task<http::Response> form_logout(const Site& site, http::Request& req) {
  const auto form = query_pairs(req.body);
  if (!shopper::form_token_ok(req, form)) co_return see_other("/account");
  auto fresh = co_await sign_out(site, req);
  if (!fresh) co_return see_other("/");
  co_return see_other("/", site, req, *fresh);
}

Task<http::Response> account_page(const Site& site, http::Request& req) {
  PageContext page(site, req);
  co_await page.load_categories();
  if (!page.session() || page.session()->user_id == 0) {
    co_return see_other(page.session_expired() ? "/login?expired=1" : "/login");
  }
  auto user = co_await site.accounts->find(page.session()->user_id);
  if (!user) co_return see_other("/login");
  const Lang lang = page.lang();
  json::object ctx{{"user", user_json(*user)}, {"greeting", tr_with(lang, "hello_name", "name", user->name)}};
  co_return page.render(200, "account", detail::site_title(lang, tr(lang, "account")), ctx);
}

}  // namespace

void add_account_routes(http::Router& router, const Site& site) {
  if (site.accounts == nullptr || site.sessions == nullptr || site.cart == nullptr) return;
  detail::add_guarded(router, site, "Accounts are briefly unavailable. Please retry in a moment.",
                      {{http::Method::kPost, "/api/v1/auth/register", api_register},
                       {http::Method::kPost, "/api/v1/auth/login", api_login},
                       {http::Method::kPost, "/api/v1/auth/logout", api_logout},
                       {http::Method::kGet, "/api/v1/me", api_me},
                       {http::Method::kGet, "/login", login_page},
                       {http::Method::kPost, "/login", form_login},
                       {http::Method::kGet, "/register", register_page},
                       {http::Method::kPost, "/register", form_register},
                       {http::Method::kPost, "/logout", form_logout},
                       {http::Method::kGet, "/account", account_page}});
}

}  // namespace mc::web
