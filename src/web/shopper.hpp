#pragma once

// Who is asking: the session cookie, the CSRF defences, and the per-shopper parts of a page.
//
// CSRF: the JSON API refuses a state change whose body is not JSON or whose Origin is not this site (a
// cross-site form cannot send JSON, and browsers always send Origin on cross-site POSTs). HTML forms carry
// a token that must equal the HttpOnly cookie mc_csrf (double submit): another site can neither read the
// page nor the cookie, so it cannot fill the field in.

#include <optional>
#include <string>
#include <string_view>

#include "core/task.hpp"
#include "db/database.hpp"
#include "http/message.hpp"
#include "session/session.hpp"
#include "web/url.hpp"

namespace mc::web {
struct Site;
}

namespace mc::web::shopper {

inline constexpr std::string_view kCsrfCookie = "mc_csrf";
// Read-your-writes: the primary's WAL position after the shopper's last write (an address, an order).
// Not a secret: a forged value can only send that shopper's own reads to the primary, or to a replica.
inline constexpr std::string_view kWriteCookie = "mc_rw";

// Stand-ins rendered into pages (which are shared between shoppers through the page memo) and replaced
// for each response: the cart badge's count and the form token.
inline constexpr std::string_view kCartCountMarker = "\x01mc-cart-count\x01";
inline constexpr std::string_view kCsrfMarker = "\x01mc-csrf\x01";
inline constexpr std::string_view kAccountMarker = "\x01mc-account\x01";  // "Log in" or "My account"

// The session the request's cookie names, if it exists (an unknown, forged or expired one is no session).
// The cookie is the store's: mc_sid (an id) or mc_state (the sealed session, mode cookie).
Task<std::optional<session::Session>> find_session(const Site& site, const http::Request& req);
// The request carries a session cookie (whether or not it still names a session).
bool has_session_cookie(const Site& site, const http::Request& req);

// The session of the request, created when there is none; `created` says a cookie must be handed out.
Task<session::Session> ensure_session(const Site& site, const http::Request& req, bool& created);
void set_session_cookie(const Site& site, http::Response& r, const session::Session& s, bool secure);
// Hands the cookie out when the session is new or its value changed (session.reissue).
void send_session_if_changed(const Site& site, http::Response& r, const session::Session& s, bool created, bool secure);

// The position of the shopper's last write (mc_rw), 0 when none is recent.
db::Lsn last_write(const http::Request& req);
// After a write of the shopper's own data: remembers where the primary is now (mc_rw, one minute), so the
// shopper's next reads come from the primary or from a replica that has replayed that far.
Task<void> remember_write(const Site& site, http::Response& r, bool secure);
// The same, with the position already known (0: ask the primary).
Task<void> remember_write(const Site& site, http::Response& r, bool secure, db::Lsn known);

// nullopt when a JSON state change may proceed, else the 403/415 answer.
std::optional<http::Response> refuse_unsafe_json(const http::Request& req);

// The request's CSRF token (from its cookie), or a new one; `fresh` says the cookie must be set.
std::string csrf_token(const http::Request& req, bool& fresh);
void set_csrf_cookie(http::Response& r, std::string_view token, bool secure);
// A form post carries the token of its cookie.
bool form_token_ok(const http::Request& req, const QueryPairs& form);

// Replaces the stand-ins in `html`.
void fill_markers(std::string& html, int cart_count, std::string_view csrf, std::string_view account_label);

}  // namespace mc::web::shopper
