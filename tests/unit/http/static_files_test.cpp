#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "http/server.hpp"
#include "run_task.hpp"

namespace mc::http {
namespace {

namespace fs = std::filesystem;
using testing::call;
using testing::request;

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

class StaticFiles : public ::testing::Test {
 protected:
  StaticFiles() {
    base_ = fs::path(::testing::TempDir()) / ("mc_static_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    root_ = base_ / "static";
    write_file(root_ / "app.css", "body{color:red}");
    write_file(root_ / "img" / "logo.svg", "<svg/>");
    write_file(root_ / "other.css", "body{color:blue}");
    write_file(root_ / ".env", "SECRET=1");
    write_file(base_ / "secret.txt", "outside root");
    fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
    handler_ = static_files(root_.string());
  }
  ~StaticFiles() override { fs::remove_all(base_); }

  Response get(std::string tail, std::vector<Field> headers = {}) {
    auto req = request(Method::kGet, "/static/" + tail, std::move(headers));
    req.path_params = {std::move(tail)};
    return call(handler_, req);
  }

  fs::path base_, root_;
  Handler handler_;
};

TEST_F(StaticFiles, ServesWithTypeStrongEtagAndLongCaching) {
  const auto r = get("app.css");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "body{color:red}");
  EXPECT_EQ(r.get("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(r.get("Cache-Control"), "public, max-age=31536000, immutable");
  const auto etag = std::string(r.get("ETag"));
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_NE(get("other.css").get("ETag"), etag);  // the tag follows the content
  const auto svg = get("img/logo.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_EQ(svg.get("Content-Type"), "image/svg+xml");
}

TEST_F(StaticFiles, IfNoneMatchGives304WithoutBody) {
  const auto etag = std::string(get("app.css").get("ETag"));
  for (const std::string& header : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    const auto r = get("app.css", {{"If-None-Match", header}});
    EXPECT_EQ(r.status, 304) << header;
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.get("ETag"), etag);
    EXPECT_EQ(r.get("Cache-Control"), "public, max-age=31536000, immutable");
  }
  EXPECT_EQ(get("app.css", {{"If-None-Match", "\"stale\""}}).status, 200);
}

TEST_F(StaticFiles, ServesFromMemoryAfterTheFirstRequest) {
  EXPECT_EQ(get("app.css").body, "body{color:red}");
  write_file(root_ / "app.css", "changed on disk");
  EXPECT_EQ(get("app.css").body, "body{color:red}");
}

TEST_F(StaticFiles, RefusesWhatCouldLeaveRootOrIsHidden) {
  for (const std::string& tail : std::vector<std::string>{
           "../secret.txt", "img/../app.css", "./app.css", ".env", "img/.hidden", "/etc/passwd", "", "img", "img/",
           "missing.css", "link.txt", "app.css\\..", std::string("app.css\0x", 9)}) {
    const auto r = get(tail);
    EXPECT_EQ(r.status, 404) << tail;
    EXPECT_EQ(r.body.find("outside root"), std::string::npos);
  }
}

TEST_F(StaticFiles, WithoutATailIsNotFound) {
  auto req = request(Method::kGet, "/static/");
  EXPECT_EQ(call(handler_, req).status, 404);
}

}  // namespace
}  // namespace mc::http
