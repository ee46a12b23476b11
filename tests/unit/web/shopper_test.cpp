#include "web/shopper.hpp"

#include <gtest/gtest.h>

#include "unit/run_task.hpp"
#include "web/cookies.hpp"

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

namespace mc::web {
namespace {

using mc::testing::run;

std::vector<std::string> set_cookies(const http::Response& r) {
  std::vector<std::string> out;
  for (const auto& f : r.headers) {
    if (f.name == "Set-Cookie") out.push_back(f.value);
  }
  return out;
}

http::Request get(std::string target, std::vector<http::Field> headers = {}) {
  http::Request r;
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

TEST(Cookies, OneBuilderForEveryCookie) {
  EXPECT_EQ(set_cookie_value({"mc_sid", "abc", std::chrono::seconds(60)}, false),
            "mc_sid=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
  EXPECT_EQ(set_cookie_value({"mc_csrf", "t", std::nullopt}, true),
            "mc_csrf=t; Path=/; HttpOnly; SameSite=Lax; Secure");
}

class ShopperTest : public ::testing::Test {
 protected:
  std::shared_ptr<session::SessionStore> store_ = session::make_memory_store();
};

TEST_F(ShopperTest, ARequestThatNeverAsksSetsNoCookie) {
  auto req = get("/api/v1/cart");
  Shopper shopper(*store_, req);
  http::Response r;
  shopper.hand_back(r);
  EXPECT_TRUE(set_cookies(r).empty());
}

TEST_F(ShopperTest, ANewSessionIsHandedOutAndAKnownOneIsNotAgain) {
  auto req = get("/api/v1/cart");
  Shopper first(*store_, req);
  EXPECT_EQ(run(first.session()), nullptr);
  EXPECT_FALSE(first.session_expired()) << "no cookie: nothing expired";
  const std::string id = run(first.session_or_new())->id;
  http::Response r;
  first.hand_back(r);
  ASSERT_EQ(set_cookies(r).size(), 1u);
  EXPECT_EQ(set_cookies(r)[0].rfind("mc_sid=" + id + "; Path=/; Max-Age=", 0), 0u) << set_cookies(r)[0];
  EXPECT_NE(set_cookies(r)[0].find("HttpOnly; SameSite=Lax"), std::string::npos);

  auto again = get("/api/v1/cart", {{"Cookie", "mc_sid=" + id}});
  again.secure = true;
  Shopper second(*store_, again);
  ASSERT_NE(run(second.session()), nullptr);
  EXPECT_EQ(run(second.session())->id, id);
  http::Response r2;
  second.hand_back(r2);
  EXPECT_TRUE(set_cookies(r2).empty()) << "an unchanged session needs no cookie";
}

TEST_F(ShopperTest, AnUnknownSessionIsExpiredNotAnError) {
  auto req = get("/cart", {{"Cookie", "mc_sid=" + session::new_id()}});
  Shopper shopper(*store_, req);
  EXPECT_EQ(run(shopper.session()), nullptr);
  EXPECT_TRUE(shopper.session_expired());
}

TEST_F(ShopperTest, RotationGivesANewIdAndTheOldOneStopsExisting) {
  const auto old = run(store_->create());
  auto req = get("/login", {{"Cookie", "mc_sid=" + old.id}});
  req.secure = true;
  Shopper shopper(*store_, req);
  run(shopper.rotate(42));
  const auto* now = run(shopper.session());
  ASSERT_NE(now, nullptr);
  EXPECT_NE(now->id, old.id);
  EXPECT_EQ(now->user_id, 42);
  EXPECT_FALSE(run(store_->find(old.id)));
  http::Response r;
  shopper.hand_back(r);
  ASSERT_EQ(set_cookies(r).size(), 1u);
  EXPECT_NE(set_cookies(r)[0].find("mc_sid=" + now->id), std::string::npos);
  EXPECT_NE(set_cookies(r)[0].find("; Secure"), std::string::npos) << "https: Secure";
}

TEST_F(ShopperTest, TheFormTokenTheLastWriteAndTheLanguageGoOutThroughTheSameBuilder) {
  auto req = get("/p/x?lang=en");
  Shopper shopper(*store_, req);
  EXPECT_EQ(shopper.lang(), Lang::kEn);
  const std::string token = shopper.csrf_token();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(shopper.csrf_token(), token) << "one token per request";
  shopper.wrote(0x16B3748);
  http::Response r;
  shopper.hand_back(r);
  const auto cookies = set_cookies(r);
  ASSERT_EQ(cookies.size(), 3u);
  EXPECT_EQ(cookies[0], "mc_csrf=" + token + "; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(cookies[1], "mc_rw=" + db::format_lsn(0x16B3748) + "; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
  EXPECT_EQ(cookies[2], "lang=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");

  auto later = get("/p/x", {{"Cookie", "mc_csrf=" + token + "; mc_rw=" + db::format_lsn(0x16B3748) + "; lang=en"}});
  Shopper back(*store_, later);
  EXPECT_EQ(back.csrf_token(), token);
  EXPECT_EQ(back.last_write(), 0x16B3748u);
  EXPECT_EQ(back.lang(), Lang::kEn);
  http::Response r2;
  back.hand_back(r2);
  EXPECT_TRUE(set_cookies(r2).empty());
}

TEST(NoSessionStore, KnowsNoSessionAndRefusesWrites) {
  auto store = session::make_no_store();
  EXPECT_FALSE(run(store->find(session::new_id())));
  EXPECT_THROW(run(store->create()), Unavailable);
}

}  // namespace
}  // namespace mc::web
