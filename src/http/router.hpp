#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mc::http {

// Routes by method and path pattern. A pattern is literal segments and `{name}` segments, each `{name}`
// matching one non-empty segment: "/api/v1/products/{id}", "/p/{slug}". A trailing "/*" matches the rest
// of the path (static files). Literal routes win over parameter routes.
class Router {
 public:
  void add(Method method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // nullptr: no route
    std::string_view route;            // the pattern, for metrics labels ("unmatched" when none)
    bool method_not_allowed = false;   // the path matched under another method
  };
  // Fills req.path_params on success. GET routes also answer HEAD.
  Match match(Request& req) const;

  // The methods some route accepts for `path`, for a 405's Allow header: "GET, HEAD, POST" ("" if none).
  std::string allowed_methods(std::string_view path) const;

 private:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace mc::http
