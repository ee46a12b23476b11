#include "http/message.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "run_task.hpp"

namespace mc::http {
namespace {

using testing::request;

TEST(Request, PathAndQuery) {
  auto req = request(Method::kGet, "/search?q=a&page=2");
  EXPECT_EQ(req.path(), "/search");
  EXPECT_EQ(req.query(), "q=a&page=2");
  auto bare = request(Method::kGet, "/p/x");
  EXPECT_EQ(bare.path(), "/p/x");
  EXPECT_EQ(bare.query(), "");
}

TEST(Request, HeaderIsCaseInsensitiveAndEmptyWhenAbsent) {
  auto req = request(Method::kGet, "/", {{"Content-Type", "application/json"}, {"accept-language", "ko"}});
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("Accept-Language"), "ko");
  EXPECT_EQ(req.header("X-Missing"), "");
}

TEST(Request, QueryParamDecodesKoreanUtf8AndPlus) {
  auto req = request(Method::kGet, "/search?q=%ED%95%AD%EA%B3%B5+%EC%A0%90%ED%8D%BC&sort=price_asc");
  EXPECT_EQ(req.query_param("q"), "항공 점퍼");
  EXPECT_EQ(req.query_param("sort"), "price_asc");
  EXPECT_EQ(req.query_param("page"), std::nullopt);
}

TEST(Request, QueryParamFirstOccurrenceEmptyValuesAndEncodedKeys) {
  auto req = request(Method::kGet, "/x?size=M&size=L&flag&empty=&a%20b=1&c+d=2&pct=100%25");
  EXPECT_EQ(req.query_param("size"), "M");
  EXPECT_EQ(req.query_param("flag"), "");
  EXPECT_EQ(req.query_param("empty"), "");
  EXPECT_EQ(req.query_param("a b"), "1");
  EXPECT_EQ(req.query_param("c d"), "2");
  EXPECT_EQ(req.query_param("pct"), "100%");
  EXPECT_EQ(req.query_param("siz"), std::nullopt);
}

TEST(Request, QueryParamWithABadEscapeCountsAsAbsent) {
  auto bad = request(Method::kGet, "/x?q=%G1");
  EXPECT_EQ(bad.query_param("q"), std::nullopt);
  auto later = request(Method::kGet, "/x?q=%&q=ok");
  EXPECT_EQ(later.query_param("q"), "ok");
}

TEST(Request, Cookies) {
  auto req = request(Method::kGet, "/",
                     {{"Cookie", "xlang=en; lang=ko;mc_sid=abc.def-_; quoted=\"v 1\"; novalue"}, {"cookie", "late=1"}});
  EXPECT_EQ(req.cookie("lang"), "ko");
  EXPECT_EQ(req.cookie("mc_sid"), "abc.def-_");
  EXPECT_EQ(req.cookie("quoted"), "v 1");
  EXPECT_EQ(req.cookie("novalue"), "");
  EXPECT_EQ(req.cookie("late"), "1");  // a second Cookie field is read too
  EXPECT_EQ(req.cookie("missing"), std::nullopt);
  EXPECT_EQ(req.cookie("ang"), std::nullopt);
  auto none = request(Method::kGet, "/");
  EXPECT_EQ(none.cookie("lang"), std::nullopt);
}

TEST(Url, EncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b/c?d=e&f+g%"), "a%20b%2Fc%3Fd%3De%26f%2Bg%25");
  EXPECT_EQ(url_encode("항"), "%ED%95%AD");
}

TEST(Url, RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "plain", "항공 점퍼", "a+b c&d=e/f?g#h%",
                                                       std::string("nul\0byte", 8), "\xff\x01"}) {
    const auto decoded = url_decode(url_encode(s), false);
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(*decoded, s);
    const auto decoded_plus = url_decode(url_encode(s), true);
    ASSERT_TRUE(decoded_plus.has_value());
    EXPECT_EQ(*decoded_plus, s);  // url_encode never emits '+'
  }
}

TEST(Url, DecodeRejectsBadEscapes) {
  EXPECT_EQ(url_decode("%", false), std::nullopt);
  EXPECT_EQ(url_decode("%4", false), std::nullopt);
  EXPECT_EQ(url_decode("abc%4", false), std::nullopt);
  EXPECT_EQ(url_decode("%zz", false), std::nullopt);
  EXPECT_EQ(url_decode("%4g", false), std::nullopt);
  EXPECT_EQ(url_decode("%4a%4A", false), "JJ");
  EXPECT_EQ(url_decode("a+b", true), "a b");
  EXPECT_EQ(url_decode("a+b", false), "a+b");
}

TEST(Response, ConstructorsSetContentType) {
  EXPECT_EQ(Response::json(200, "{}").get("Content-Type"), "application/json");
  EXPECT_EQ(Response::html(404, "<p>").get("content-type"), "text/html; charset=utf-8");
  const auto t = Response::text(201, "ok");
  EXPECT_EQ(t.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(t.status, 201);
  EXPECT_EQ(t.body, "ok");
}

TEST(Response, SetReplacesAllFieldsOfThatNameAddAppends) {
  Response r;
  r.add("Set-Cookie", "a=1");
  r.add("set-cookie", "b=2");
  r.add("X-Other", "x");
  EXPECT_EQ(r.get("SET-COOKIE"), "a=1");
  r.set("Set-Cookie", "c=3");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.get("Set-Cookie"), "c=3");
  EXPECT_EQ(r.get("X-Other"), "x");
  r.set("X-New", "n");
  EXPECT_EQ(r.get("x-new"), "n");
  EXPECT_EQ(r.get("X-Absent"), "");
}

TEST(Response, ErrorEscapesJson) {
  const std::string message = "bad \"input\" \\ here\nline2\ttab\x01 end 항";
  const auto r = Response::error(422, "invalid_input", message);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.get("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_input","message":"bad \"input\" \\ here\nline2\ttab\u0001 end 항"}})");
  const auto parsed = boost::json::parse(r.body);
  EXPECT_EQ(parsed.at("error").at("code").as_string(), "invalid_input");
  EXPECT_EQ(parsed.at("error").at("message").as_string(), message);
}

TEST(Method, Names) {
  EXPECT_EQ(to_string(Method::kGet), "GET");
  EXPECT_EQ(to_string(Method::kDelete), "DELETE");
  EXPECT_EQ(to_string(Method::kOther), "OTHER");
}

}  // namespace
}  // namespace mc::http
