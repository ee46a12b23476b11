#include "web/handlers.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "db/database.hpp"
#include "web/shopper.hpp"

namespace mc::web::detail {

void add_guarded(http::Router& router, const Site& site, http::Method method, std::string pattern, SiteHandler fn,
                 std::string_view unavailable_message) {
  router.add(method, std::move(pattern),
             [site, fn, message = std::string(unavailable_message)](http::Request& req) -> Task<http::Response> {
               try {
                 co_return co_await fn(site, req);
               } catch (const session::Unavailable& e) {
                 spdlog::warn("{} {}: session store unavailable: {}", http::to_string(req.method), req.target,
                              e.what());
               } catch (const db::Error& e) {
                 spdlog::warn("{} {}: database unavailable: {}", http::to_string(req.method), req.target, e.what());
               }
               auto r = http::Response::error(503, "unavailable", message);
               r.set("Retry-After", "1");
               co_return r;
             });
}

void add_guarded(http::Router& router, const Site& site, std::string_view unavailable_message,
                 std::initializer_list<GuardedRoute> routes) {
  for (const auto& r : routes) add_guarded(router, site, r.method, std::string(r.pattern), r.fn, unavailable_message);
}

Expected<boost::json::object, http::Response> json_object_body(const http::Request& req) {
  if (auto refused = shopper::refuse_unsafe_json(req)) return Unexpected(std::move(*refused));
  boost::system::error_code ec;
  auto v = boost::json::parse(req.body, ec);
  if (ec || !v.is_object()) {
    return Unexpected(http::Response::error(422, "invalid_input", "The body must be a JSON object."));
  }
  return std::move(v.as_object());
}

std::string form_field(const QueryPairs& form, std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return {};
}

http::Response see_other(std::string where) {
  http::Response r;
  r.status = 303;
  r.set("Location", std::move(where));
  return r;
}

http::Response see_other(std::string where, const Site& site, const http::Request& req,
                         const session::Session& session) {
  auto r = see_other(std::move(where));
  shopper::set_session_cookie(site, r, session, req.secure);
  return r;
}

}  // namespace mc::web::detail
