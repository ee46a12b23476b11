#include "web/shopper.hpp"

#include <openssl/crypto.h>

#include "core/ids.hpp"
#include "web/site.hpp"

namespace mc::web::shopper {
namespace {

// Longer than any session cookie can be (mode cookie: 4096 bytes); longer values are not looked at.
constexpr std::size_t kMaxSessionCookie = 4096;

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

}  // namespace

Task<std::optional<session::Session>> find_session(const Site& site, const http::Request& req) {
  if (site.sessions == nullptr) co_return std::nullopt;
  auto id = req.cookie(site.sessions->cookie_name());
  if (!id || id->empty() || id->size() > kMaxSessionCookie) co_return std::nullopt;
  co_return co_await site.sessions->find(std::move(*id));
}

bool has_session_cookie(const Site& site, const http::Request& req) {
  if (site.sessions == nullptr) return false;
  const auto c = req.cookie(site.sessions->cookie_name());
  return c && !c->empty();
}

Task<session::Session> ensure_session(const Site& site, const http::Request& req, bool& created) {
  created = false;
  if (auto found = co_await find_session(site, req)) co_return std::move(*found);
  created = true;
  co_return co_await site.sessions->create();
}

void set_session_cookie(const Site& site, http::Response& r, const session::Session& s, bool secure) {
  const auto& store = *site.sessions;
  r.add("Set-Cookie", std::string(store.cookie_name()) + "=" + s.id +
                          "; Path=/; Max-Age=" + std::to_string(store.cookie_max_age(s).count()) +
                          "; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : ""));
}

void send_session_if_changed(const Site& site, http::Response& r, const session::Session& s, bool created,
                             bool secure) {
  if (created || s.reissue) set_session_cookie(site, r, s, secure);
}

db::Lsn last_write(const http::Request& req) {
  const auto c = req.cookie(kWriteCookie);
  return c ? db::parse_lsn(*c).value_or(0) : 0;
}

Task<void> remember_write(const Site& site, http::Response& r, bool secure) {
  co_await remember_write(site, r, secure, 0);
}

Task<void> remember_write(const Site& site, http::Response& r, bool secure, db::Lsn known) {
  constexpr int kSeconds = 60;  // far longer than a healthy replica lags; a lagging one is out of rotation
  db::Lsn at = known;
  if (at == 0) at = co_await site.db->primary_lsn();
  if (at == 0) co_return;
  r.add("Set-Cookie", std::string(kWriteCookie) + "=" + db::format_lsn(at) + "; Path=/; Max-Age=" +
                          std::to_string(kSeconds) + "; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : ""));
}

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
  if (auto c = req.cookie(kCsrfCookie); c && c->size() == 43) {
    fresh = false;
    return *c;
  }
  fresh = true;
  return random_token(32);
}

void set_csrf_cookie(http::Response& r, std::string_view token, bool secure) {
  r.add("Set-Cookie", std::string(kCsrfCookie) + "=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Lax" +
                          (secure ? "; Secure" : ""));
}

bool form_token_ok(const http::Request& req, const QueryPairs& form) {
  const auto cookie = req.cookie(kCsrfCookie);
  if (!cookie || cookie->size() != 43) return false;
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

}  // namespace mc::web::shopper
