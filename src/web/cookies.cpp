#include "web/cookies.hpp"

namespace mc::web {

std::string set_cookie_value(const Cookie& cookie, bool secure) {
  std::string out = cookie.name;
  out += '=';
  out += cookie.value;
  out += "; Path=/";
  if (cookie.max_age) out += "; Max-Age=" + std::to_string(cookie.max_age->count());
  out += "; HttpOnly; SameSite=Lax";
  if (secure) out += "; Secure";
  return out;
}

void set_cookie(http::Response& r, const Cookie& cookie, bool secure) {
  r.add("Set-Cookie", set_cookie_value(cookie, secure));
}

}  // namespace mc::web
