#include "web/handlers.hpp"

#include <boost/json.hpp>

#include "web/shopper.hpp"

namespace mc::web::detail {

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

std::string string_field(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

http::Response see_other(std::string where) {
  http::Response r;
  r.status = 303;
  r.set("Location", std::move(where));
  return r;
}

}  // namespace mc::web::detail
