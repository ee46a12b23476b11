#pragma once

#include "http/router.hpp"
#include "web/site.hpp"

namespace mc::web {

void add_api_routes(http::Router& router, const Site& site);
void add_ops_routes(http::Router& router, const Site& site);
void add_page_routes(http::Router& router, const Site& site);
void add_cart_routes(http::Router& router, const Site& site);
void add_account_routes(http::Router& router, const Site& site);
void add_order_routes(http::Router& router, const Site& site);

}  // namespace mc::web
