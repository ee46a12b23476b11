#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/text.hpp"
#include "http/detail/text.hpp"
#include "http/server.hpp"

namespace mc::http {
namespace {

constexpr std::size_t kMaxRequestIdLength = 64;
constexpr std::string_view kRequestsTotal = "myclothes_http_requests_total";
constexpr std::string_view kRequestDuration = "myclothes_http_request_duration_seconds";

struct State {
  std::shared_ptr<const Router> router;
  MiddlewareOptions options;
};

// A client- or balancer-supplied id is echoed only when it cannot smuggle anything into logs or headers.
bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The metric series a request lands in, looked up in the registry (which locks) only the first time a thread
// sees a (route, method, status); after that the hot path is one hash lookup and a few comparisons.
struct RouteSeries {
  struct Count {
    Method method;
    int status;
    metrics::Counter* counter;
  };
  metrics::Histogram* duration = nullptr;
  std::vector<Count> counts;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

void record(std::string_view route, Method method, int status, double seconds) {
  thread_local std::unordered_map<std::string, RouteSeries, StringHash, std::equal_to<>> series;
  auto it = series.find(route);
  if (it == series.end()) {
    static const bool described = [] {
      metrics::registry().describe(std::string(kRequestsTotal), "HTTP requests answered, by route, method, status");
      metrics::registry().describe(std::string(kRequestDuration), "HTTP request handling time, by route");
      return true;
    }();
    (void)described;
    RouteSeries fresh;
    fresh.duration = &metrics::registry().histogram(std::string(kRequestDuration), {{"route", std::string(route)}});
    it = series.emplace(std::string(route), std::move(fresh)).first;
  }
  RouteSeries& s = it->second;
  metrics::Counter* counter = nullptr;
  for (const auto& c : s.counts) {
    if (c.method == method && c.status == status) {
      counter = c.counter;
      break;
    }
  }
  if (counter == nullptr) {
    counter = &metrics::registry().counter(std::string(kRequestsTotal), {{"route", std::string(route)},
                                                                         {"method", std::string(to_string(method))},
                                                                         {"status", std::to_string(status)}});
    s.counts.push_back({method, status, counter});
  }
  counter->inc();
  s.duration->observe(seconds);
}

Response internal_error(const Request& req) {
  if (detail::is_api_path(req.path())) {
    return Response::error(500, "internal_error", "The server could not answer this request.");
  }
  std::string body =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>500</title></head><body><h1>Something went "
      "wrong</h1><p>Please try again. Request id: ";
  body += req.request_id;  // sane by construction: [A-Za-z0-9._-]
  body += "</p></body></html>";
  return Response::html(500, std::move(body));
}

// A dependency that could not answer: the one answer for every route (core/errors.hpp). An outage that
// names itself (e.g. not_confirmed) keeps the status and Retry-After and changes only what the client reads.
Response unavailable(const State& s, const Request& req, const Unavailable& e) {
  const bool general = e.code().empty();
  Response r = detail::is_api_path(req.path())
                   ? (general ? Response::error(503, "unavailable",
                                                "The store is briefly unavailable. Please retry in a moment.")
                              : Response::error(503, e.code(), e.client_message()))
               : s.options.unavailable_html ? s.options.unavailable_html(req, e.code())
               : general                    ? Response::text(503, "Briefly unavailable. Please retry in a moment.\n")
                                            : Response::text(503, e.client_message() + "\n");
  r.status = 503;
  r.set("Retry-After", std::to_string(std::max<long long>(1, e.retry_after().count())));
  return r;
}

// Every '&'-separated part of a query or form body, decoded ('+' is a space), is UTF-8. A part that does not
// decode (a bad escape) is left to the handler, which treats it as absent.
bool utf8_parts(std::string_view text) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (part.find('%') == std::string_view::npos) {
      if (!valid_utf8(part)) return false;
      continue;
    }
    if (const auto decoded = url_decode(part, true); decoded && !valid_utf8(*decoded)) return false;
  }
  return true;
}

// What reaches handlers (and from them PostgreSQL) is text: the path, the query and a form body, once
// percent-decoded, are well-formed UTF-8.
bool well_formed_text(const Request& req) {
  const auto path = req.path();
  if (path.find('%') != std::string_view::npos) {
    if (const auto decoded = url_decode(path, false); decoded && !valid_utf8(*decoded)) return false;
  } else if (!valid_utf8(path)) {
    return false;
  }
  if (!utf8_parts(req.query())) return false;
  const auto type = req.header("Content-Type");
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  const bool form = type.size() >= kForm.size() && detail::iequals(type.substr(0, kForm.size()), kForm);
  return !form || utf8_parts(req.body);
}

Response bad_text(const State& s, const Request& req) {
  if (detail::is_api_path(req.path())) {
    return Response::error(400, "invalid_text", "The request holds text that is not valid UTF-8.");
  }
  if (s.options.bad_text_html) return s.options.bad_text_html(req);
  return Response::text(400, "The address holds text that is not valid UTF-8.\n");
}

Response not_found(const State& s, const Request& req) {
  if (detail::is_api_path(req.path())) return Response::error(404, "not_found", "No such resource.");
  if (s.options.not_found_html) return s.options.not_found_html(req);
  return Response::text(404, "Not found\n");
}

Response method_not_allowed(const State& s, const Request& req) {
  Response r = detail::is_api_path(req.path())
                   ? Response::error(405, "method_not_allowed", "This method is not allowed here.")
                   : Response::text(405, "Method not allowed\n");
  r.set("Allow", s.router->allowed_methods(req.path()));
  return r;
}

// One pass over the response's fields: the identity headers replace what a handler set, the security
// headers are added unless a handler chose its own (say, a stricter policy).
void decorate(Response& r, const State& s, const Request& req) {
  std::array<bool, detail::kSecurityHeaders.size()> present{};
  std::size_t kept = 0;
  for (std::size_t i = 0; i < r.headers.size(); ++i) {
    const std::string& name = r.headers[i].name;
    if (detail::iequals(name, "X-Request-Id") || detail::iequals(name, "X-Instance-Id") ||
        detail::iequals(name, "X-AZ")) {
      continue;  // dropped; set below
    }
    for (std::size_t h = 0; h < present.size(); ++h) {
      if (detail::iequals(name, detail::kSecurityHeaders[h].name)) present[h] = true;
    }
    if (kept != i) r.headers[kept] = std::move(r.headers[i]);
    ++kept;
  }
  r.headers.resize(kept);
  r.headers.reserve(kept + 3 + present.size());
  r.headers.push_back({"X-Request-Id", req.request_id});
  r.headers.push_back({"X-Instance-Id", s.options.instance_id});
  r.headers.push_back({"X-AZ", s.options.az});
  for (std::size_t h = 0; h < present.size(); ++h) {
    if (!present[h]) {
      r.headers.push_back(
          {std::string(detail::kSecurityHeaders[h].name), std::string(detail::kSecurityHeaders[h].value)});
    }
  }
}

Task<Response> handle(std::shared_ptr<const State> s, Request& req) {
  const auto started = std::chrono::steady_clock::now();
  if (const std::string_view incoming = req.header("X-Request-Id"); sane_request_id(incoming)) {
    req.request_id.assign(incoming);
  } else {
    req.request_id = next_request_id();
  }

  if (!well_formed_text(req)) {
    Response response = bad_text(*s, req);
    decorate(response, *s, req);
    record("invalid_text", req.method, response.status, 0);
    co_return response;
  }
  const Router::Match match = s->router->match(req);
  Response response;
  std::exception_ptr failure;
  try {
    if (match.handler != nullptr) {
      response = co_await (*match.handler)(req);
    } else if (match.method_not_allowed) {
      response = method_not_allowed(*s, req);
    } else {
      response = not_found(*s, req);
    }
  } catch (const Unavailable& e) {
    spdlog::warn("request {}: {} {} (route {}): unavailable: {}", req.request_id, to_string(req.method), req.path(),
                 match.route, e.what());
    response = unavailable(*s, req, e);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("request {}: {} {} (route {}): unhandled exception: {}", req.request_id, to_string(req.method),
                  req.path(), match.route, what);
    response = internal_error(req);
  }

  decorate(response, *s, req);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  record(match.route, req.method, response.status, seconds);
  co_return response;
}

}  // namespace

Handler with_middleware(std::shared_ptr<const Router> router, MiddlewareOptions options) {
  auto state = std::make_shared<const State>(State{std::move(router), std::move(options)});
  // Not a coroutine itself: the coroutine gets its own copy of the state, so it does not depend on this
  // lambda (or the std::function holding it) outliving the request.
  return [state = std::move(state)](Request& req) { return handle(state, req); };
}

}  // namespace mc::http
