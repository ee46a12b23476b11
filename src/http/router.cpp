#include "http/router.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mc::http {
namespace {

// Deeper paths than this match no route (404) rather than cost an allocation per request.
constexpr std::size_t kMaxSegments = 32;

struct PathSegments {
  std::array<std::string_view, kMaxSegments> segment;
  std::array<std::size_t, kMaxSegments> offset;  // where each segment starts in the path
  std::size_t count = 0;
};

// "/" has no segments; "/a/b/" has "a", "b", "". False for what is not an origin-form path.
bool split_path(std::string_view path, PathSegments& out) {
  out.count = 0;
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  std::size_t pos = 1;
  for (;;) {
    if (out.count == kMaxSegments) return false;
    const auto end = path.find('/', pos);
    out.offset[out.count] = pos;
    out.segment[out.count++] = path.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (end == std::string_view::npos) return true;
    pos = end + 1;
  }
}

bool is_param(const std::string& segment) { return segment.size() >= 2 && segment.front() == '{'; }
bool is_tail(const std::vector<std::string>& segments) { return !segments.empty() && segments.back() == "*"; }

// Literal < parameter < tail, segment by segment: sorting routes by this puts the most specific first, so
// the first route that matches is the one that should win.
int rank(const std::string& segment) { return segment == "*" ? 2 : is_param(segment) ? 1 : 0; }

bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](const std::string& x, const std::string& y) { return rank(x) < rank(y); });
}

bool shape_matches(const std::vector<std::string>& pattern, const PathSegments& path) {
  const bool tail = is_tail(pattern);
  const std::size_t fixed = tail ? pattern.size() - 1 : pattern.size();
  if (tail ? path.count <= fixed : path.count != fixed) return false;
  for (std::size_t i = 0; i < fixed; ++i) {
    if (is_param(pattern[i])) {
      if (path.segment[i].empty()) return false;
    } else if (pattern[i] != path.segment[i]) {
      return false;
    }
  }
  return true;
}

bool accepts(Method route, Method request) {
  return route == request || (route == Method::kGet && request == Method::kHead);
}

}  // namespace

void Router::add(Method method, std::string pattern, Handler handler) {
  PathSegments parts;
  if (!split_path(pattern, parts)) throw std::invalid_argument("route pattern must start with '/': " + pattern);
  std::vector<std::string> segments;
  for (std::size_t i = 0; i < parts.count; ++i) {
    const std::string_view s = parts.segment[i];
    if (s == "*" && i + 1 != parts.count) throw std::invalid_argument("'*' must be the last segment: " + pattern);
    if (!s.empty() && s.front() == '{' && (s.size() < 3 || s.back() != '}')) {
      throw std::invalid_argument("bad parameter segment in route: " + pattern);
    }
    segments.emplace_back(s);
  }
  // Insert after every route at least as specific, so equally specific routes keep their order.
  const auto at =
      std::upper_bound(routes_.begin(), routes_.end(), segments,
                       [](const std::vector<std::string>& s, const Route& r) { return more_specific(s, r.segments); });
  routes_.insert(at, Route{method, std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::match(Request& req) const {
  const std::string_view path = req.path();
  PathSegments parts;
  Match result{nullptr, "unmatched", false};
  if (!split_path(path, parts)) return result;
  for (const auto& route : routes_) {
    if (!shape_matches(route.segments, parts)) continue;
    if (!accepts(route.method, req.method)) {
      if (!result.method_not_allowed) {
        result.method_not_allowed = true;
        result.route = route.pattern;
      }
      continue;
    }
    req.path_params.clear();
    bool decoded = true;
    for (std::size_t i = 0; i < route.segments.size() && decoded; ++i) {
      const auto& s = route.segments[i];
      std::optional<std::string> value;
      if (s == "*") {
        value = url_decode(path.substr(parts.offset[i]), false);
      } else if (is_param(s)) {
        value = url_decode(parts.segment[i], false);
      } else {
        continue;
      }
      if (value) {
        req.path_params.push_back(std::move(*value));
      } else {
        decoded = false;
      }
    }
    if (!decoded) {
      req.path_params.clear();
      continue;
    }
    return Match{&route.handler, route.pattern, false};
  }
  return result;
}

std::string Router::allowed_methods(std::string_view path) const {
  static constexpr std::array<Method, 7> kOrder{Method::kGet,   Method::kHead,   Method::kPost,   Method::kPut,
                                                Method::kPatch, Method::kDelete, Method::kOptions};
  PathSegments parts;
  if (!split_path(path, parts)) return {};
  std::array<bool, kOrder.size()> allowed{};
  for (const auto& route : routes_) {
    if (!shape_matches(route.segments, parts)) continue;
    for (std::size_t i = 0; i < kOrder.size(); ++i) {
      if (accepts(route.method, kOrder[i])) allowed[i] = true;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < kOrder.size(); ++i) {
    if (!allowed[i]) continue;
    if (!out.empty()) out += ", ";
    out += to_string(kOrder[i]);
  }
  return out;
}

}  // namespace mc::http
