#pragma once

// What the handlers of the shopper's routes (cart, accounts, orders) share: registration behind one guard,
// reading a JSON or form body, and "see other" redirects.

#include <boost/json/object.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/task.hpp"
#include "http/router.hpp"
#include "session/session.hpp"
#include "web/site.hpp"
#include "web/url.hpp"

namespace mc::web::detail {

using SiteHandler = Task<http::Response> (*)(const Site&, http::Request&);

// Adds a route whose handler may need the session store and the database: when either cannot answer, the
// answer is 503 `unavailable` with Retry-After and `unavailable_message` — never a wrong cart or account.
void add_guarded(http::Router& router, const Site& site, http::Method method, std::string pattern, SiteHandler fn,
                 std::string_view unavailable_message);

struct GuardedRoute {
  http::Method method;
  std::string_view pattern;
  SiteHandler fn;
};
// Several routes behind the guard, sharing one `unavailable_message`.
void add_guarded(http::Router& router, const Site& site, std::string_view unavailable_message,
                 std::initializer_list<GuardedRoute> routes);

// The body of a JSON state change as an object; else the 403/415 of the CSRF rules or a 422.
Expected<boost::json::object, http::Response> json_object_body(const http::Request& req);

// The first value of `name` in a form (or query), "" when absent.
std::string form_field(const QueryPairs& form, std::string_view name);

// 303 to `where`.
http::Response see_other(std::string where);
// 303 to `where`, handing out `session` in its cookie.
http::Response see_other(std::string where, const Site& site, const http::Request& req,
                         const session::Session& session);

}  // namespace mc::web::detail
