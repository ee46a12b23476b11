#pragma once

// What the handlers of the shopper's routes (cart, accounts, orders) share: reading a JSON or form body,
// and "see other" redirects.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "http/message.hpp"
#include "web/url.hpp"

namespace mc::web::detail {

// The body of a JSON state change as an object; else the 403/415 of the CSRF rules or a 422.
Expected<boost::json::object, http::Response> json_object_body(const http::Request& req);

// The first value of `name` in a form (or query), "" when absent.
std::string form_field(const QueryPairs& form, std::string_view name);

// A string field of a JSON object, "" when absent or not a string.
std::string string_field(const boost::json::object& o, std::string_view name);

// 303 to `where`.
http::Response see_other(std::string where);

}  // namespace mc::web::detail
