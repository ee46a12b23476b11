#pragma once

#include <boost/json/object.hpp>

#include "cart/cart.hpp"
#include "web/i18n.hpp"

namespace mc::web {

// A cart line as the cart and checkout pages show it: link, picture, name and colour in the shopper's
// language, size, quantity, availability and prices (defined in cart_routes.cpp).
boost::json::object cart_line_view(Lang lang, const cart::Line& line);

}  // namespace mc::web
