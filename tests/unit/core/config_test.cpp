#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace mc {
namespace {

TEST(Config, DefaultsWhenNothingIsSet) {
  auto c = load_config({});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_TRUE(c->db.replicas.empty());
}

TEST(Config, FileThenEnvironmentThenFlags) {
  const std::string path = ::testing::TempDir() + "/myclothes_config_test.toml";
  {
    std::ofstream out(path);
    out << "[server]\nport = 9000\naz = \"b\"\n[db]\nreplicas = [\"host=r1\", \"host=r2\"]\n";
  }
  ConfigSources s;
  s.file = path;
  s.env = {{"MYCLOTHES_SERVER_PORT", "9100"}, {"MYCLOTHES_ADMIN_TOKEN", "secret"}};
  s.overrides = {{"server.az", "c"}};
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->server.port, 9100);
  EXPECT_EQ(c->server.az, "c");
  EXPECT_EQ(c->admin.token, "secret");
  ASSERT_EQ(c->db.replicas.size(), 2u);
  EXPECT_EQ(c->db.replicas[1], "host=r2");
  std::remove(path.c_str());
}

TEST(Config, ConnectAndStatementTimeoutsHaveDefaultsAndTheirVariables) {
  auto defaults = load_config({});
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->db.connect_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(defaults->db.statement_timeout, std::chrono::milliseconds(5000));
  ConfigSources s;
  s.env = {{"MYCLOTHES_DB_CONNECT_TIMEOUT_MS", "750"}, {"MYCLOTHES_DB_STATEMENT_TIMEOUT_MS", "0"}};
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->db.connect_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(c->db.statement_timeout, std::chrono::milliseconds(0)) << "0 turns it off";
  s.env = {{"MYCLOTHES_DB_CONNECT_TIMEOUT_MS", "0"}};
  EXPECT_FALSE(load_config(s)) << "a connection attempt needs some time";
}

TEST(Config, BadValueIsOneLineNamingTheSetting) {
  ConfigSources s;
  s.env = {{"MYCLOTHES_SERVER_PORT", "eighty"}};
  auto c = load_config(s);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("server.port"), std::string::npos);
  EXPECT_NE(c.error().find("MYCLOTHES_SERVER_PORT"), std::string::npos);
  EXPECT_EQ(c.error().find('\n'), std::string::npos);
}

TEST(Config, UnknownSettingIsRefused) {
  ConfigSources s;
  s.overrides = {{"server.prot", "1"}};
  auto c = load_config(s);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("unknown setting"), std::string::npos);
}

TEST(Config, MissingFileIsAnError) {
  ConfigSources s;
  s.file = "/nonexistent/myclothes.toml";
  EXPECT_FALSE(load_config(s));
}

TEST(Config, TheShippedExampleLoads) {
  ConfigSources s;
  s.file = std::string(MYCLOTHES_SOURCE_DIR) + "/deploy/local/myclothes.toml";
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->redis.port, 26379);
  EXPECT_TRUE(c->db.replicas.empty());
}

}  // namespace
}  // namespace mc
