#pragma once

// Each feature's errors as the web answers them: one table per feature, from the domain's error code
// (which knows nothing of HTTP) to a status and the API's error code. The HTML pages show the string
// "error_<code>" in the shopper's language. A dependency outage is not here: it is core::Unavailable,
// answered once by the middleware.

#include <string>
#include <string_view>

#include "account/account.hpp"
#include "cart/cart.hpp"
#include "http/message.hpp"
#include "order/order.hpp"
#include "web/i18n.hpp"

namespace mc::web {

struct ErrorAnswer {
  int status;
  std::string_view code;
};

ErrorAnswer answer(cart::Error::Code code);
ErrorAnswer answer(account::Error::Code code);
ErrorAnswer answer(order::Error::Code code);

// The API's JSON error.
inline http::Response api_error(const ErrorAnswer& a, std::string_view message) {
  return http::Response::error(a.status, a.code, message);
}
// The shopper's words for it.
inline std::string error_text(Lang lang, const ErrorAnswer& a) {
  return std::string(tr(lang, "error_" + std::string(a.code)));
}

}  // namespace mc::web
