#include "http/detail/wire.hpp"

#include <gtest/gtest.h>

namespace mc::http::detail {
namespace {

int count(const std::string& haystack, std::string_view needle) {
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

TEST(WriteHead, StatusLineFieldsLengthAndEnd) {
  std::string out;
  const auto r = Response::json(201, "{\"a\":1}");
  const auto head = write_head(out, r, {});
  EXPECT_EQ(out.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
  EXPECT_NE(out.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 7\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nDate: "), std::string::npos);
  EXPECT_EQ(out.find("Connection:"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
  EXPECT_TRUE(head.send_body);
  EXPECT_TRUE(head.keep_alive);
}

TEST(WriteHead, ConnectionCloseAndHttp10KeepAlive) {
  std::string out;
  auto r = Response::text(200, "x");
  EXPECT_FALSE(write_head(out, r, {false, false, false}).keep_alive);
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_TRUE(write_head(out, r, {false, true, true}).keep_alive);
  EXPECT_NE(out.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  r.set("Connection", "Close");
  const auto head = write_head(out, r, {false, true, false});
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(count(out, "Connection:"), 1);
}

TEST(WriteHead, HeadAndBodylessStatuses) {
  std::string out;
  const auto r = Response::text(200, "12345");
  const auto head = write_head(out, r, {true, true, false});
  EXPECT_FALSE(head.send_body);
  EXPECT_NE(out.find("\r\nContent-Length: 5\r\n"), std::string::npos);

  Response not_modified;
  not_modified.status = 304;
  not_modified.body = "ignored";
  EXPECT_FALSE(write_head(out, not_modified, {}).send_body);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_EQ(out.rfind("HTTP/1.1 304 Not Modified\r\n", 0), 0u);

  Response no_content;
  no_content.status = 204;
  EXPECT_FALSE(write_head(out, no_content, {}).send_body);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);

  const auto empty = Response::text(200, "");
  EXPECT_FALSE(write_head(out, empty, {}).send_body);
  EXPECT_NE(out.find("\r\nContent-Length: 0\r\n"), std::string::npos);
}

TEST(WriteHead, HandlerFramingFieldsAreReplaced) {
  std::string out;
  auto r = Response::text(200, "abc");
  r.add("Content-Length", "999");
  r.add("Transfer-Encoding", "chunked");
  write_head(out, r, {});
  EXPECT_EQ(count(out, "Content-Length"), 1);
  EXPECT_NE(out.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
}

TEST(WriteHead, NoResponseSplitting) {
  std::string out;
  auto r = Response::text(302, "");
  r.add("Location", "/x\r\nSet-Cookie: evil=1");
  r.add("Bad Name", "v");
  r.add("X-Nul", std::string("a\0b", 3));
  write_head(out, r, {});
  EXPECT_EQ(out.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(out.find("Location: /x  Set-Cookie: evil=1\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Bad Name"), std::string::npos);
  EXPECT_NE(out.find("X-Nul: a b\r\n"), std::string::npos);
}

TEST(WriteHead, UnknownAndInvalidStatuses) {
  std::string out;
  auto r = Response::text(299, "");
  write_head(out, r, {});
  EXPECT_EQ(out.rfind("HTTP/1.1 299 Unknown\r\n", 0), 0u);
  r.status = 42;
  write_head(out, r, {});
  EXPECT_EQ(out.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
}

TEST(HttpDate, ImfFixdate) {
  const auto d = http_date();
  ASSERT_EQ(d.size(), 29u);
  EXPECT_EQ(d.substr(3, 2), ", ");
  EXPECT_EQ(d.substr(26), "GMT");
}

}  // namespace
}  // namespace mc::http::detail
