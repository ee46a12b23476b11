#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <stdexcept>

#include "core/errors.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "run_task.hpp"

namespace mc::http {
namespace {

using testing::call;
using testing::request;

constexpr std::string_view kCsp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'";

class Middleware : public ::testing::Test {
 protected:
  Middleware() {
    auto router = std::make_shared<Router>();
    router->add(Method::kGet, "/api/v1/ok", [](Request& req) -> Task<Response> {
      co_return Response::json(200, "{\"id\":\"" + req.request_id + "\"}");
    });
    router->add(Method::kGet, "/api/v1/boom", [](Request&) -> Task<Response> {
      throw std::runtime_error("secret detail: password=hunter2");
      co_return Response::text(200, "unreachable");
    });
    router->add(Method::kGet, "/boom", [](Request&) -> Task<Response> {
      throw std::runtime_error("secret detail: password=hunter2");
      co_return Response::text(200, "unreachable");
    });
    router->add(Method::kGet, "/api/v1/down", [](Request&) -> Task<Response> {
      throw Unavailable("redis: connection refused", std::chrono::seconds(3));
      co_return Response::text(200, "unreachable");
    });
    router->add(Method::kGet, "/cart", [](Request&) -> Task<Response> {
      throw Unavailable("postgres: timeout");
      co_return Response::text(200, "unreachable");
    });
    router->add(Method::kPost, "/api/v1/cart/items", [](Request&) -> Task<Response> {
      throw NotConfirmed("redis: WAIT 1 300: 0 replicas acknowledged");
      co_return Response::text(200, "unreachable");
    });
    router->add(Method::kPost, "/cart/add", [](Request&) -> Task<Response> {
      throw NotConfirmed("redis: WAIT 1 300: 0 replicas acknowledged");
      co_return Response::text(200, "unreachable");
    });
    router->add(Method::kGet, "/own-headers", [](Request&) -> Task<Response> {
      auto r = Response::html(200, "<p>hi</p>");
      r.set("Content-Security-Policy", "default-src 'none'");
      r.set("X-Request-Id", "forged");
      r.set("X-AZ", "forged");
      co_return r;
    });
    router_ = router;
    handler_ = with_middleware(
        router,
        {"i-1", "b",
         [](const Request& req) { return Response::html(404, "<h1>nothing at " + std::string(req.path()) + "</h1>"); },
         [](const Request&, std::string_view code) {
           return Response::html(503, "<h1>back soon</h1>" + std::string(code));
         },
         [](const Request&) { return Response::html(400, "<h1>not text</h1>"); }});
  }

  Response get(std::string target, std::vector<Field> headers = {}) {
    auto req = request(Method::kGet, std::move(target), std::move(headers));
    return call(handler_, req);
  }

  static void expect_standard_headers(const Response& r) {
    EXPECT_FALSE(r.get("X-Request-Id").empty());
    EXPECT_EQ(r.get("X-Instance-Id"), "i-1");
    EXPECT_EQ(r.get("X-AZ"), "b");
    EXPECT_EQ(r.get("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.get("Referrer-Policy"), "strict-origin-when-cross-origin");
    EXPECT_EQ(r.get("X-Frame-Options"), "DENY");
  }

  std::shared_ptr<const Router> router_;
  Handler handler_;
};

TEST_F(Middleware, TextThatIsNotUtf8IsA400BeforeAnyHandler) {
  // A surrogate, a code point above U+10FFFF, an overlong '/', a stray continuation byte, a truncated sequence.
  for (const char* q : {"%ED%A0%80", "%F4%90%80%80", "%C0%AF", "%80", "%EC%A0"}) {
    const auto r = get(std::string("/api/v1/ok?q=") + q);
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_NE(r.body.find("\"invalid_text\""), std::string::npos) << q << ": " << r.body;
    expect_standard_headers(r);
  }
  const auto page = get("/p/%ED%A0%80-jacket");
  EXPECT_EQ(page.status, 400);
  EXPECT_EQ(page.body, "<h1>not text</h1>") << "outside /api/: the store's page";
  auto raw = get(std::string("/api/v1/ok?q=\xff"));
  EXPECT_EQ(raw.status, 400) << "undecoded bytes are checked too";

  auto form = request(Method::kGet, "/api/v1/ok", {{"Content-Type", "application/x-www-form-urlencoded"}});
  form.body = "name=%ED%95%AD&city=%ED%A0%80";
  EXPECT_EQ(call(handler_, form).status, 400) << "a form body is text too";
}

TEST_F(Middleware, KoreanAndEnglishTextPassesAsItIs) {
  EXPECT_EQ(get("/api/v1/ok?q=%ED%95%AD%EA%B3%B5+%EC%A0%90%ED%8D%BC").status, 200);
  EXPECT_EQ(get("/api/v1/ok?q=flight+jacket&page=2").status, 200);
  EXPECT_EQ(get("/api/v1/ok?q=100%").status, 200) << "a bad escape is the handler's to judge (absent)";
  EXPECT_EQ(get("/api/v1/ok?q=%F0%9F%A7%A5").status, 200) << "a coat emoji is four bytes of valid UTF-8";
  auto json = request(Method::kGet, "/api/v1/ok", {{"Content-Type", "application/json"}});
  json.body = "\xff";  // JSON bodies are checked by the JSON parser, which refuses invalid UTF-8
  EXPECT_EQ(call(handler_, json).status, 200);
}

TEST_F(Middleware, AddsIdentityAndSecurityHeaders) {
  const auto r = get("/api/v1/ok");
  EXPECT_EQ(r.status, 200);
  expect_standard_headers(r);
  EXPECT_EQ(r.get("Content-Security-Policy"), kCsp);
  // The handler saw the same id the response carries.
  EXPECT_EQ(r.body, "{\"id\":\"" + std::string(r.get("X-Request-Id")) + "\"}");
}

TEST_F(Middleware, EchoesASaneIncomingRequestId) {
  const auto r = get("/api/v1/ok", {{"x-request-id", "lb-Abc_123.x"}});
  EXPECT_EQ(r.get("X-Request-Id"), "lb-Abc_123.x");
}

TEST_F(Middleware, ReplacesAnInsaneRequestIdWithAFreshOne) {
  for (const std::string& bad :
       std::vector<std::string>{std::string("has space"), std::string("a\"b"), std::string(65, 'a'),
                                std::string("<script>"), std::string("")}) {
    const auto r = get("/api/v1/ok", {{"X-Request-Id", bad}});
    EXPECT_NE(r.get("X-Request-Id"), bad);
    EXPECT_FALSE(r.get("X-Request-Id").empty());
  }
  const auto a = get("/api/v1/ok");
  const auto b = get("/api/v1/ok");
  EXPECT_NE(a.get("X-Request-Id"), b.get("X-Request-Id"));
  EXPECT_EQ(get("/api/v1/ok", {{"X-Request-Id", std::string(64, 'z')}}).get("X-Request-Id"), std::string(64, 'z'));
}

TEST_F(Middleware, ExceptionBecomesA500JsonWithoutDetailUnderApi) {
  const auto r = get("/api/v1/boom");
  EXPECT_EQ(r.status, 500);
  expect_standard_headers(r);
  EXPECT_EQ(r.get("Content-Type"), "application/json");
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  const auto json = boost::json::parse(r.body);
  EXPECT_EQ(json.at("error").at("code").as_string(), "internal_error");
}

TEST_F(Middleware, ExceptionBecomesA500HtmlPageElsewhere) {
  const auto r = get("/boom");
  EXPECT_EQ(r.status, 500);
  expect_standard_headers(r);
  EXPECT_EQ(r.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  EXPECT_NE(r.body.find(r.get("X-Request-Id")), std::string::npos);
}

TEST_F(Middleware, NotFoundUnderApiIsJson) {
  const auto r = get("/api/v1/nope");
  EXPECT_EQ(r.status, 404);
  expect_standard_headers(r);
  EXPECT_EQ(r.get("Content-Type"), "application/json");
  EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "not_found");
}

TEST_F(Middleware, NotFoundElsewhereUsesTheHtmlPage) {
  const auto r = get("/nope");
  EXPECT_EQ(r.status, 404);
  expect_standard_headers(r);
  EXPECT_EQ(r.body, "<h1>nothing at /nope</h1>");
}

TEST_F(Middleware, NotFoundWithoutAnHtmlPageIsPlainText) {
  auto plain = with_middleware(router_, {"i-2", "a", nullptr});
  auto req = request(Method::kGet, "/nope");
  const auto r = call(plain, req);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.get("X-Instance-Id"), "i-2");
}

TEST_F(Middleware, MethodNotAllowedCarriesAllow) {
  auto req = request(Method::kPost, "/api/v1/ok");
  const auto r = call(handler_, req);
  EXPECT_EQ(r.status, 405);
  expect_standard_headers(r);
  EXPECT_EQ(r.get("Allow"), "GET, HEAD");
  EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "method_not_allowed");
}

TEST_F(Middleware, KeepsAHandlersOwnSecurityPolicyButNotItsIdentityHeaders) {
  const auto r = get("/own-headers");
  EXPECT_EQ(r.get("Content-Security-Policy"), "default-src 'none'");
  EXPECT_NE(r.get("X-Request-Id"), "forged");
  EXPECT_EQ(r.get("X-AZ"), "b");
  int csp = 0, az = 0;
  for (const auto& f : r.headers) {
    csp += f.name == "Content-Security-Policy";
    az += f.name == "X-AZ";
  }
  EXPECT_EQ(csp, 1);
  EXPECT_EQ(az, 1);
}

TEST_F(Middleware, CountsRequestsByRouteMethodAndStatus) {
  auto& ok = metrics::registry().counter("myclothes_http_requests_total",
                                         {{"route", "/api/v1/ok"}, {"method", "GET"}, {"status", "200"}});
  auto& missing = metrics::registry().counter("myclothes_http_requests_total",
                                              {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}});
  auto& failed = metrics::registry().counter("myclothes_http_requests_total",
                                             {{"route", "/api/v1/boom"}, {"method", "GET"}, {"status", "500"}});
  auto& duration = metrics::registry().histogram("myclothes_http_request_duration_seconds", {{"route", "/api/v1/ok"}});
  const auto ok0 = ok.value(), missing0 = missing.value(), failed0 = failed.value(), duration0 = duration.count();
  get("/api/v1/ok");
  get("/api/v1/ok");
  get("/api/v1/nothing");
  get("/api/v1/boom");
  EXPECT_EQ(ok.value() - ok0, 2u);
  EXPECT_EQ(missing.value() - missing0, 1u);
  EXPECT_EQ(failed.value() - failed0, 1u);
  EXPECT_EQ(duration.count() - duration0, 2u);
}

TEST_F(Middleware, AnOutageIsOne503WithRetryAfterAsJsonUnderTheApi) {
  auto r = get("/api/v1/down");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.get("Retry-After"), "3");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("error").at("code").as_string(), "unavailable");
  EXPECT_EQ(r.body.find("redis"), std::string::npos) << "nothing internal reaches the client";
  expect_standard_headers(r);
}

TEST_F(Middleware, AnOutageIsTheStoresPageOutsideTheApi) {
  auto r = get("/cart");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.get("Retry-After"), "1");
  EXPECT_EQ(r.body, "<h1>back soon</h1>") << "the general outage has no code";
  EXPECT_EQ(r.body.find("postgres"), std::string::npos);
}

TEST_F(Middleware, AWriteThatWasNotConfirmedIsA503WithItsOwnCode) {
  auto req = request(Method::kPost, "/api/v1/cart/items");
  auto r = call(handler_, req);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.get("Retry-After"), "1");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("error").at("code").as_string(), "not_confirmed");
  EXPECT_EQ(body.at("error").at("message").as_string(), "Your change may not have been saved; please try again.");
  EXPECT_EQ(r.body.find("WAIT"), std::string::npos) << "nothing internal reaches the client";
  expect_standard_headers(r);

  auto page_req = request(Method::kPost, "/cart/add");
  auto page = call(handler_, page_req);
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.get("Retry-After"), "1");
  EXPECT_EQ(page.body, "<h1>back soon</h1>not_confirmed") << "the page is told which outage it is";
}

}  // namespace
}  // namespace mc::http
