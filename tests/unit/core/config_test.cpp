#include "core/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

TEST(Config, DynamodbSettingsHaveDefaultsAndTheirVariables) {
  auto defaults = load_config({});
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->dynamodb.table, "myclothes-sessions");
  EXPECT_EQ(defaults->dynamodb.region, "us-east-1");
  EXPECT_TRUE(defaults->dynamodb.endpoint.empty()) << "empty: the region's public endpoint";
  EXPECT_EQ(defaults->dynamodb.timeout, std::chrono::milliseconds(1000));
  ConfigSources s;
  s.env = {{"MYCLOTHES_SESSION_MODE", "dynamodb"},
           {"MYCLOTHES_DYNAMODB_ENDPOINT", "http://127.0.0.1:25490"},
           {"MYCLOTHES_DYNAMODB_TABLE", "shop-sessions"},
           {"MYCLOTHES_DYNAMODB_REGION", "ap-northeast-2"},
           {"MYCLOTHES_DYNAMODB_TIMEOUT_MS", "250"}};
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->session.mode, SessionMode::kDynamodb);
  EXPECT_EQ(c->dynamodb.endpoint, "http://127.0.0.1:25490");
  EXPECT_EQ(c->dynamodb.table, "shop-sessions");
  EXPECT_EQ(c->dynamodb.region, "ap-northeast-2");
  EXPECT_EQ(c->dynamodb.timeout, std::chrono::milliseconds(250));
  s.env = {{"MYCLOTHES_DYNAMODB_TABLE", ""}};
  EXPECT_FALSE(load_config(s)) << "a table has a name";
  s.env = {{"MYCLOTHES_DYNAMODB_TIMEOUT_MS", "0"}};
  EXPECT_FALSE(load_config(s)) << "an attempt needs some time";
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

TEST(Config, RedisIsDirectAndWaitsForNoReplicaByDefault) {
  auto c = load_config({});
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->redis.sentinels.empty());
  EXPECT_EQ(c->redis.master_name, "myclothes");
  EXPECT_EQ(c->redis.wait_replicas, -1);
  EXPECT_EQ(c->redis.replicas_to_wait_for(), 0) << "auto without sentinels: no WAIT";
  EXPECT_EQ(c->redis.wait_timeout, std::chrono::milliseconds(300));
}

TEST(Config, SentinelsFromTheEnvironmentAreCommaSeparatedAndWaitForOneReplica) {
  ConfigSources s;
  s.env = {{"MYCLOTHES_REDIS_SENTINELS", "127.0.0.1:27105,sentinel-b:26379,[::1]:26380"},
           {"MYCLOTHES_REDIS_MASTER_NAME", "shop"}};
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->redis.sentinels.size(), 3u);
  EXPECT_EQ(c->redis.sentinels[0], (Endpoint{"127.0.0.1", 27105}));
  EXPECT_EQ(c->redis.sentinels[1], (Endpoint{"sentinel-b", 26379}));
  EXPECT_EQ(c->redis.sentinels[2], (Endpoint{"::1", 26380}));
  EXPECT_EQ(to_string(c->redis.sentinels[2]), "[::1]:26380");
  EXPECT_EQ(c->redis.master_name, "shop");
  EXPECT_EQ(c->redis.replicas_to_wait_for(), 1) << "auto with sentinels: one replica";
}

TEST(Config, SentinelsAndWaitFromAFile) {
  const std::string path = ::testing::TempDir() + "/myclothes_config_redis_test.toml";
  {
    std::ofstream out(path);
    out << "[redis]\nsentinels = [\"10.0.0.1:26379\", \"10.0.0.2:26379\"]\nwait_replicas = 2\n"
           "wait_timeout_ms = 150\n";
  }
  ConfigSources s;
  s.file = path;
  auto c = load_config(s);
  std::remove(path.c_str());
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->redis.sentinels.size(), 2u);
  EXPECT_EQ(c->redis.sentinels[1].host, "10.0.0.2");
  EXPECT_EQ(c->redis.replicas_to_wait_for(), 2);
  EXPECT_EQ(c->redis.wait_timeout, std::chrono::milliseconds(150));
}

TEST(Config, WaitForNoReplicaEvenWithSentinels) {
  ConfigSources s;
  s.overrides = {{"redis.sentinels", "127.0.0.1:26379"}, {"redis.wait_replicas", "0"}};
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->redis.replicas_to_wait_for(), 0);
}

TEST(Config, BadRedisHaValuesAreOneLineErrorsNamingTheSetting) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"redis.sentinels", "127.0.0.1"},  {"redis.sentinels", "127.0.0.1:0"}, {"redis.sentinels", "127.0.0.1:70000"},
      {"redis.sentinels", "a:1,:26379"}, {"redis.sentinels", "::1:26379"},   {"redis.sentinels", "host:port"},
      {"redis.master_name", ""},         {"redis.wait_replicas", "-2"},      {"redis.wait_replicas", "6"},
      {"redis.wait_replicas", "one"},    {"redis.wait_timeout_ms", "0"},     {"redis.wait_timeout_ms", "10001"},
  };
  for (const auto& [key, value] : bad) {
    ConfigSources s;
    s.overrides = {{key, value}};
    auto c = load_config(s);
    ASSERT_FALSE(c) << key << " = " << value << " was accepted";
    EXPECT_NE(c.error().find(key), std::string::npos) << c.error();
    EXPECT_EQ(c.error().find('\n'), std::string::npos) << c.error();
  }
  ConfigSources env;
  env.env = {{"MYCLOTHES_REDIS_SENTINELS", "127.0.0.1:26379,nowhere"}};
  auto c = load_config(env);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("MYCLOTHES_REDIS_SENTINELS"), std::string::npos) << c.error();
  EXPECT_NE(c.error().find("\"nowhere\""), std::string::npos) << "names the bad entry: " << c.error();
}

TEST(Config, AWaitMustEndBeforeTheCommandDeadline) {
  ConfigSources s;
  s.overrides = {{"redis.sentinels", "127.0.0.1:26379"}, {"redis.wait_timeout_ms", "500"}};
  auto c = load_config(s);
  ASSERT_FALSE(c) << "WAIT as long as the command timeout (500 ms) would time the thread's other commands out";
  EXPECT_NE(c.error().find("redis.wait_timeout_ms"), std::string::npos) << c.error();
  s.overrides.emplace("redis.wait_replicas", "0");
  EXPECT_TRUE(load_config(s)) << "without WAIT the timeout does not matter";
}

}  // namespace
}  // namespace mc
