#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "run_task.hpp"

namespace mc::http {
namespace {

using testing::call;
using testing::request;

Handler named(std::string name) {
  return [name = std::move(name)](Request&) -> Task<Response> { co_return Response::text(200, name); };
}

// The body of the handler the router picked, or "" when it picked none.
std::string pick(const Router& router, Request& req) {
  const auto m = router.match(req);
  return m.handler ? call(*m.handler, req).body : std::string();
}

TEST(Router, LiteralBeatsParameterWhateverTheOrderOfAdding) {
  Router r;
  r.add(Method::kGet, "/p/{slug}", named("param"));
  r.add(Method::kGet, "/p/new", named("literal"));
  auto a = request(Method::kGet, "/p/new");
  EXPECT_EQ(pick(r, a), "literal");
  EXPECT_TRUE(a.path_params.empty());
  auto b = request(Method::kGet, "/p/jacket-1?lang=ko");
  EXPECT_EQ(pick(r, b), "param");
  EXPECT_EQ(b.path_params, std::vector<std::string>{"jacket-1"});
}

TEST(Router, FallsBackToParameterRouteWhenLiteralBranchFailsLater) {
  Router r;
  r.add(Method::kGet, "/a/b/d", named("literal"));
  r.add(Method::kGet, "/a/{x}/c", named("param"));
  auto req = request(Method::kGet, "/a/b/c");
  EXPECT_EQ(pick(r, req), "param");
  EXPECT_EQ(req.path_params, std::vector<std::string>{"b"});
}

TEST(Router, ReportsTheRoutePatternForMetrics) {
  Router r;
  r.add(Method::kGet, "/api/v1/products/{id}", named("product"));
  auto hit = request(Method::kGet, "/api/v1/products/42");
  EXPECT_EQ(r.match(hit).route, "/api/v1/products/{id}");
  auto miss = request(Method::kGet, "/api/v1/nothing");
  const auto m = r.match(miss);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.route, "unmatched");
  EXPECT_FALSE(m.method_not_allowed);
}

TEST(Router, GetRoutesAnswerHeadButNotOtherMethods) {
  Router r;
  r.add(Method::kGet, "/p/{slug}", named("get"));
  r.add(Method::kDelete, "/cart/{sku}", named("delete"));
  auto head = request(Method::kHead, "/p/x");
  EXPECT_EQ(pick(r, head), "get");

  auto post = request(Method::kPost, "/p/x");
  const auto m = r.match(post);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.method_not_allowed);
  EXPECT_EQ(m.route, "/p/{slug}");
  EXPECT_EQ(r.allowed_methods("/p/x"), "GET, HEAD");

  auto head_on_delete = request(Method::kHead, "/cart/s1");
  EXPECT_TRUE(r.match(head_on_delete).method_not_allowed);
  EXPECT_EQ(r.allowed_methods("/cart/s1"), "DELETE");
  EXPECT_EQ(r.allowed_methods("/nowhere"), "");
}

TEST(Router, MethodIsCheckedAcrossRoutesOfTheSameShape) {
  Router r;
  r.add(Method::kGet, "/api/v1/cart", named("get"));
  r.add(Method::kPost, "/api/v1/cart", named("post"));
  r.add(Method::kPost, "/api/v1/{thing}", named("post-thing"));
  auto post = request(Method::kPost, "/api/v1/cart");
  EXPECT_EQ(pick(r, post), "post");
  auto put = request(Method::kPut, "/api/v1/cart");
  EXPECT_TRUE(r.match(put).method_not_allowed);
  EXPECT_EQ(r.allowed_methods("/api/v1/cart"), "GET, HEAD, POST");
}

TEST(Router, TailMatchesTheRestOfThePath) {
  Router r;
  r.add(Method::kGet, "/static/*", named("static"));
  r.add(Method::kGet, "/static/special", named("special"));
  auto deep = request(Method::kGet, "/static/css/app.css?v=abc");
  EXPECT_EQ(pick(r, deep), "static");
  EXPECT_EQ(deep.path_params, std::vector<std::string>{"css/app.css"});
  auto special = request(Method::kGet, "/static/special");
  EXPECT_EQ(pick(r, special), "special");
  auto bare = request(Method::kGet, "/static");
  EXPECT_EQ(r.match(bare).handler, nullptr);
  auto empty_tail = request(Method::kGet, "/static/");
  EXPECT_EQ(pick(r, empty_tail), "static");
  EXPECT_EQ(empty_tail.path_params, std::vector<std::string>{""});
}

TEST(Router, ParametersBeforeTheTailComeFirst) {
  Router r;
  r.add(Method::kGet, "/images/{product}/*", named("image"));
  auto req = request(Method::kGet, "/images/7/red/1.svg");
  EXPECT_EQ(pick(r, req), "image");
  EXPECT_EQ(req.path_params, (std::vector<std::string>{"7", "red/1.svg"}));
}

TEST(Router, ParametersArePercentDecoded) {
  Router r;
  r.add(Method::kGet, "/search/{q}", named("search"));
  auto korean = request(Method::kGet, "/search/%ED%95%AD%EA%B3%B5%20%EC%A0%90%ED%8D%BC");
  EXPECT_EQ(pick(r, korean), "search");
  EXPECT_EQ(korean.path_params, std::vector<std::string>{"항공 점퍼"});
  auto plus = request(Method::kGet, "/search/a+b%2Fc");
  EXPECT_EQ(pick(r, plus), "search");
  EXPECT_EQ(plus.path_params, std::vector<std::string>{"a+b/c"});  // '+' is literal in a path
}

TEST(Router, InvalidEncodingIsNoMatch) {
  Router r;
  r.add(Method::kGet, "/p/{slug}", named("p"));
  for (const char* target : {"/p/%zz", "/p/%E", "/p/abc%"}) {
    auto req = request(Method::kGet, target);
    const auto m = r.match(req);
    EXPECT_EQ(m.handler, nullptr) << target;
    EXPECT_TRUE(req.path_params.empty()) << target;
  }
}

TEST(Router, ParametersNeedANonEmptySegmentAndExactSegmentCount) {
  Router r;
  r.add(Method::kGet, "/p/{slug}", named("p"));
  r.add(Method::kGet, "/", named("home"));
  for (const char* target : {"/p/", "/p", "/p/a/b", "//", "p/a", "*", "http://example.com/p/a"}) {
    auto req = request(Method::kGet, target);
    EXPECT_EQ(r.match(req).handler, nullptr) << target;
  }
  auto home = request(Method::kGet, "/?lang=en");
  EXPECT_EQ(pick(r, home), "home");
}

TEST(Router, RefusesMalformedPatterns) {
  Router r;
  EXPECT_THROW(r.add(Method::kGet, "no-slash", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::kGet, "/a/*/b", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::kGet, "/a/{b", named("x")), std::invalid_argument);
}

}  // namespace
}  // namespace mc::http
