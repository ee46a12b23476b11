#pragma once

// Every cookie the store hands out (mc_sid / mc_state, mc_csrf, mc_rw, lang) goes through this one builder,
// so each carries the same attributes: Path=/, HttpOnly, SameSite=Lax, Secure when the shopper came over
// https, and a Max-Age when it should outlive the browser session.

#include <chrono>
#include <optional>
#include <string>

#include "http/message.hpp"

namespace mc::web {

struct Cookie {
  std::string name;
  std::string value;
  std::optional<std::chrono::seconds> max_age;  // none: until the browser closes
};

// The Set-Cookie field's value.
std::string set_cookie_value(const Cookie& cookie, bool secure);
// Adds it to `r` (a response may set several cookies).
void set_cookie(http::Response& r, const Cookie& cookie, bool secure);

}  // namespace mc::web
