#include "web/shopper.hpp"

#include <gtest/gtest.h>

namespace mc::web::shopper {
namespace {

http::Request post(std::vector<http::Field> headers, std::string body = "{}") {
  http::Request r;
  r.method = http::Method::kPost;
  r.target = "/api/v1/cart/items";
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

TEST(Markers, AreFilledInOnePassAndNothingElseChanges) {
  std::string html = "<b>" + std::string(kCartCountMarker) + "</b><i>" + std::string(kCartCountMarker) +
                     "</i><input value=\"" + std::string(kCsrfMarker) + "\">" + std::string(kAccountMarker) +
                     " 항공 점퍼 \x01stray";
  fill_markers(html, 12, "tok", "My account");
  EXPECT_EQ(html, "<b>12</b><i>12</i><input value=\"tok\">My account 항공 점퍼 stray");
}

TEST(JsonStateChanges, NeedJsonFromThisSite) {
  const http::Field json{"Content-Type", "application/json; charset=utf-8"};
  const http::Field host{"Host", "shop.example:8080"};
  EXPECT_FALSE(refuse_unsafe_json(post({json, host})));
  EXPECT_FALSE(refuse_unsafe_json(post({json, host, {"Origin", "http://shop.example:8080"}})));
  auto foreign = refuse_unsafe_json(post({json, host, {"Origin", "http://evil.example"}}));
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  auto lookalike = refuse_unsafe_json(post({json, host, {"Origin", "http://shop.example:8080.evil.example"}}));
  ASSERT_TRUE(lookalike);
  EXPECT_EQ(lookalike->status, 403);
  auto form = refuse_unsafe_json(post({{"Content-Type", "application/x-www-form-urlencoded"}, host}));
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);
  auto none = refuse_unsafe_json(post({host}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 415);
  auto del = post({host}, "");
  del.method = http::Method::kDelete;
  EXPECT_FALSE(refuse_unsafe_json(del)) << "a DELETE without a body needs no content type";
}

TEST(FormTokens, MustMatchTheCookie) {
  const std::string token(43, 'a');
  auto req = post({{"Cookie", "mc_csrf=" + token}});
  EXPECT_TRUE(form_token_ok(req, {{"csrf", token}}));
  EXPECT_FALSE(form_token_ok(req, {{"csrf", std::string(43, 'b')}}));
  EXPECT_FALSE(form_token_ok(req, {{"csrf", ""}}));
  EXPECT_FALSE(form_token_ok(req, {}));
  EXPECT_FALSE(form_token_ok(post({}), {{"csrf", token}})) << "no cookie, no match";
  bool fresh = false;
  const auto issued = csrf_token(post({}), fresh);
  EXPECT_TRUE(fresh);
  EXPECT_EQ(issued.size(), 43u);
  EXPECT_EQ(csrf_token(req, fresh), token);
  EXPECT_FALSE(fresh);
}

}  // namespace
}  // namespace mc::web::shopper
