#include "web/shopper.hpp"

#include <openssl/crypto.h>

#include "core/ids.hpp"
#include "web/cookies.hpp"

namespace mc::web {
namespace shopper {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool same_origin(const http::Request& req, std::string_view origin) {
  const auto host = req.header("Host");
  if (host.empty()) return false;
  const std::string_view scheme = origin.starts_with("https://") ? "https://" : "http://";
  return origin.starts_with(scheme) && origin.substr(scheme.size()) == host;
}

constexpr std::size_t kCsrfTokenChars = 43;

}  // namespace

std::optional<http::Response> refuse_unsafe_json(const http::Request& req) {
  if (auto origin = req.header("Origin"); !origin.empty() && !same_origin(req, origin)) {
    return http::Response::error(403, "forbidden_origin", "Requests from another site may not change anything here.");
  }
  if (req.method == http::Method::kDelete && req.body.empty()) return std::nullopt;
  const auto type = trim(req.header("Content-Type").substr(0, req.header("Content-Type").find(';')));
  if (type != "application/json") {
    return http::Response::error(415, "unsupported_media_type", "Send the body as application/json.");
  }
  return std::nullopt;
}

std::string csrf_token(const http::Request& req, bool& fresh) {
  if (auto c = req.cookie(kCsrfCookie); c && c->size() == kCsrfTokenChars) {
    fresh = false;
    return *c;
  }
  fresh = true;
  return random_token(32);
}

bool form_token_ok(const http::Request& req, const QueryPairs& form) {
  const auto cookie = req.cookie(kCsrfCookie);
  if (!cookie || cookie->size() != kCsrfTokenChars) return false;
  for (const auto& [k, v] : form) {
    if (k == "csrf") return v.size() == cookie->size() && CRYPTO_memcmp(v.data(), cookie->data(), v.size()) == 0;
  }
  return false;
}

void fill_markers(std::string& html, int cart_count, std::string_view csrf, std::string_view account_label) {
  // One pass: every stand-in starts with \x01, which never occurs in content.
  const std::string count = std::to_string(cart_count);
  std::string out;
  out.reserve(html.size() + 64);
  std::size_t from = 0;
  for (auto at = html.find('\x01'); at != std::string::npos; at = html.find('\x01', from)) {
    out.append(html, from, at - from);
    const std::string_view rest(html.data() + at, html.size() - at);
    if (rest.starts_with(kCartCountMarker)) {
      out += count;
      from = at + kCartCountMarker.size();
    } else if (rest.starts_with(kCsrfMarker)) {
      out += csrf;
      from = at + kCsrfMarker.size();
    } else if (rest.starts_with(kAccountMarker)) {
      out += account_label;
      from = at + kAccountMarker.size();
    } else {
      from = at + 1;  // a stray control character: dropped
    }
  }
  out.append(html, from, std::string::npos);
  html = std::move(out);
}

}  // namespace shopper

namespace {

// Longer than any session cookie can be (mode cookie: 4096 bytes); longer values are not looked at.
constexpr std::size_t kMaxSessionCookie = 4096;
// How long mc_rw keeps the shopper's reads on fresh data: far longer than a healthy replica lags (a
// lagging one is out of rotation).
constexpr std::chrono::seconds kWriteMemory{60};
constexpr std::chrono::seconds kLangMemory{365 * 24 * 3600};

// `fn` lives in the router's handler (as long as the worker), so the request may refer to it.
Task<http::Response> serve(session::SessionStore& store, http::Request& req, const ShopperSessions::Handler& fn,
                           bool no_store) {
  Shopper shopper(store, req);
  auto r = co_await fn(req, shopper);
  shopper.hand_back(r);
  if (no_store && r.get("Cache-Control").empty()) r.set("Cache-Control", "no-store");
  co_return r;
}

}  // namespace

Shopper::Shopper(session::SessionStore& store, const http::Request& req)
    : store_(store), req_(req), lang_(choose_lang(req)) {}

Task<session::Session*> Shopper::session() {
  if (!looked_up_) {
    auto cookie = req_.cookie(store_.cookie_name());
    const bool named = cookie && !cookie->empty();
    if (named && cookie->size() <= kMaxSessionCookie) session_ = co_await store_.find(std::move(*cookie));
    looked_up_ = true;
    expired_ = named && !session_;
  }
  co_return session_ ? &*session_ : nullptr;
}

Task<session::Session*> Shopper::session_or_new() {
  if (auto* s = co_await session()) co_return s;
  replace_session(co_await store_.create());
  co_return &*session_;
}

Task<void> Shopper::rotate(std::int64_t user_id) {
  const auto* current = co_await session();
  const session::Session old = current ? *current : session::Session{session::new_id(), 0};
  replace_session(co_await store_.rotate(old, user_id));
}

void Shopper::replace_session(session::Session s) {
  session_ = std::move(s);
  looked_up_ = true;
  changed_ = true;
}

Task<int> Shopper::cart_units() {
  const auto* s = co_await session();
  if (s == nullptr) co_return 0;
  int units = 0;
  const auto lines = co_await store_.cart(*s);
  for (const auto& line : lines) units += line.qty;
  co_return units;
}

const std::string& Shopper::csrf_token() {
  if (csrf_.empty()) csrf_ = shopper::csrf_token(req_, csrf_fresh_);
  return csrf_;
}

db::Lsn Shopper::last_write() const {
  const auto c = req_.cookie(shopper::kWriteCookie);
  return c ? db::parse_lsn(*c).value_or(0) : 0;
}

void Shopper::hand_back(http::Response& r) const {
  const bool secure = req_.secure;
  if (session_ && (changed_ || session_->reissue)) {
    set_cookie(r, {std::string(store_.cookie_name()), session_->id, store_.cookie_max_age(*session_)}, secure);
  }
  if (csrf_fresh_) set_cookie(r, {std::string(shopper::kCsrfCookie), csrf_, std::nullopt}, secure);
  if (wrote_ != 0) set_cookie(r, {std::string(shopper::kWriteCookie), db::format_lsn(wrote_), kWriteMemory}, secure);
  if (lang_.remember) set_cookie(r, {"lang", std::string(code(lang_.lang)), kLangMemory}, secure);
}

http::Handler ShopperSessions::handler(Handler fn, bool no_store) {
  return [this, fn = std::move(fn), no_store](http::Request& req) { return serve(store_, req, fn, no_store); };
}

}  // namespace mc::web
