#pragma once

// Who is asking: the shopper's session, their form token, language and last write — looked up when a
// handler first asks (so a route that never asks costs nothing) and handed back after it, as cookies, by
// ShopperSessions. Handlers never build a Set-Cookie themselves.
//
// CSRF: the JSON API refuses a state change whose body is not JSON or whose Origin is not this site (a
// cross-site form cannot send JSON, and browsers always send Origin on cross-site POSTs). HTML forms carry
// a token that must equal the HttpOnly cookie mc_csrf (double submit): another site can neither read the
// page nor the cookie, so it cannot fill the field in.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/task.hpp"
#include "db/database.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "session/session.hpp"
#include "web/common.hpp"
#include "web/url.hpp"

namespace mc::web {

namespace shopper {

inline constexpr std::string_view kCsrfCookie = "mc_csrf";
// Read-your-writes: the primary's WAL position after the shopper's last write (an address, an order).
// Not a secret: a forged value can only send that shopper's own reads to the primary, or to a replica.
inline constexpr std::string_view kWriteCookie = "mc_rw";

// Stand-ins rendered into pages (which are shared between shoppers through the page memo) and replaced
// for each response: the cart badge's count and the form token.
inline constexpr std::string_view kCartCountMarker = "\x01mc-cart-count\x01";
inline constexpr std::string_view kCsrfMarker = "\x01mc-csrf\x01";
inline constexpr std::string_view kAccountMarker = "\x01mc-account\x01";  // "Log in" or "My account"

// nullopt when a JSON state change may proceed, else the 403/415 answer.
std::optional<http::Response> refuse_unsafe_json(const http::Request& req);

// The request's CSRF token (from its cookie), or a new one; `fresh` says the cookie must be set.
std::string csrf_token(const http::Request& req, bool& fresh);
// A form post carries the token of its cookie.
bool form_token_ok(const http::Request& req, const QueryPairs& form);

// Replaces the stand-ins in `html`.
void fill_markers(std::string& html, int cart_count, std::string_view csrf, std::string_view account_label);

}  // namespace shopper

// The shopper behind one request.
class Shopper {
 public:
  Shopper(session::SessionStore& store, const http::Request& req);

  const http::Request& request() const { return req_; }

  // The session the request's cookie names (mc_sid, or mc_state in mode cookie), looked up on the first
  // call; null when there is none (an unknown, forged or expired cookie is no session).
  Task<session::Session*> session();
  // The session, or a new guest session whose cookie goes out with the response. Never null.
  Task<session::Session*> session_or_new();
  // A new session id for `user_id` (0: a guest) in place of the current one, which stops existing: at login
  // and at logout, so an id known before either is worth nothing after it. Its cookie goes out with the
  // response.
  Task<void> rotate(std::int64_t user_id);
  // The request named a session that no longer exists (expired, or logged out elsewhere). After session().
  bool session_expired() const { return expired_; }

  // The units in the session's cart, for the badge (0 without a session).
  Task<int> cart_units();

  // The form token of this browser (a new one is handed out with the response).
  const std::string& csrf_token();
  bool form_token_ok(const QueryPairs& form) const { return shopper::form_token_ok(req_, form); }

  // The page language: ?lang= (then remembered in cookie `lang`), the `lang` cookie, or Accept-Language.
  Lang lang() const { return lang_.lang; }

  // The primary's WAL position after the shopper's last write (mc_rw), 0 when none is recent.
  db::Lsn last_write() const;
  // After a write of the shopper's own data: remember where the primary was (mc_rw, one minute), so their
  // next reads come from the primary or from a replica that has replayed that far.
  void wrote(db::Lsn at) { wrote_ = at; }

  // The cookies this request changed, onto its response.
  void hand_back(http::Response& r) const;

 private:
  void replace_session(session::Session s);

  session::SessionStore& store_;
  const http::Request& req_;
  LangChoice lang_;
  bool looked_up_ = false;
  bool expired_ = false;
  bool changed_ = false;  // a new or rotated session: its cookie goes out
  std::optional<session::Session> session_;
  std::string csrf_;
  bool csrf_fresh_ = false;
  db::Lsn wrote_ = 0;
};

// Routes that know the shopper: each request gets its Shopper before the handler runs, and the cookies it
// changed after. One per I/O thread.
class ShopperSessions {
 public:
  using Handler = std::function<Task<http::Response>(http::Request&, Shopper&)>;

  explicit ShopperSessions(session::SessionStore& store) : store_(store) {}

  // An http handler that runs `fn` with the request's Shopper. `no_store`: the answer is the shopper's own
  // (their cart, account, addresses, orders) and no cache — the browser's, a proxy's — may keep it
  // (Cache-Control: no-store, unless the handler chose its own).
  http::Handler handler(Handler fn, bool no_store = false);

  // The same as a member function of a route group: `sessions.handler(this, &CartRoutes::view)`.
  template <class Group>
  http::Handler handler(Group* group, Task<http::Response> (Group::*fn)(http::Request&, Shopper&)) {
    return handler([group, fn](http::Request& req, Shopper& s) { return (group->*fn)(req, s); });
  }
  // A route whose answers are the shopper's own: `sessions.personal(this, &AccountRoutes::api_me)`.
  template <class Group>
  http::Handler personal(Group* group, Task<http::Response> (Group::*fn)(http::Request&, Shopper&)) {
    return handler([group, fn](http::Request& req, Shopper& s) { return (group->*fn)(req, s); }, true);
  }

 private:
  session::SessionStore& store_;
};

}  // namespace mc::web
