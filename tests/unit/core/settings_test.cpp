#include "core/settings.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "core/config.hpp"

namespace mc {
namespace {

TEST(Choices, NamesAreWrittenOnceAndUsedEverywhere) {
  EXPECT_EQ(to_string(SessionMode::kCookie), "cookie");
  EXPECT_EQ(parse_choice<SessionMode>("dynamodb"), SessionMode::kDynamodb);
  EXPECT_FALSE(parse_choice<SessionMode>("Redis"));
  EXPECT_EQ(choice_list<SessionMode>(), "sticky|cookie|redis|dynamodb");
  SessionMode mode = SessionMode::kRedis;
  const auto err = settings::choice(mode)("memcached", settings::Kind::kText);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "expected one of sticky|cookie|redis|dynamodb, got \"memcached\"");
  EXPECT_EQ(mode, SessionMode::kRedis) << "a refused value changes nothing";
}

TEST(Settings, EverySourceGoesThroughTheSameParser) {
  int n = 0;
  bool on = true;
  std::vector<std::string> items;
  const settings::Table table{
      {"a.n", settings::integer(n, 1, 5)}, {"a.on", settings::boolean(on)}, {"a.items", settings::list(items)}};
  EXPECT_FALSE(settings::apply(table, "a.n", "3", "command line"));
  EXPECT_EQ(n, 3);
  EXPECT_EQ(*settings::apply(table, "a.n", "9", "command line"),
            "a.n: expected an integer from 1 to 5, got \"9\" (command line)");
  EXPECT_EQ(*settings::apply(table, "a.x", "1", "command line"), "a.x: unknown setting (command line)");
  EXPECT_FALSE(settings::apply_environment(table, {{"MC_A_ON", "no"}, {"MC_A_ITEMS", "x,y"}}, "MC_"));
  EXPECT_FALSE(on) << "the environment gives text: \"no\" is false";
  EXPECT_EQ(items, (std::vector<std::string>{"x", "y"}));
}

TEST(Settings, AFileValueMustHaveItsSettingsType) {
  int n = 0;
  bool on = true;
  const settings::Table table{{"a.n", settings::integer(n, 1, 5)}, {"a.on", settings::boolean(on)}};
  const auto path = std::filesystem::temp_directory_path() / ("settings-" + std::to_string(::getpid()) + ".toml");
  auto write = [&](const char* text) { std::ofstream(path) << text; };
  write("[a]\nn = 2\non = false\n");
  EXPECT_FALSE(settings::apply_file(table, path.string()));
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(on);
  write("[a]\non = \"no\"\n");
  const auto quoted = settings::apply_file(table, path.string());
  ASSERT_TRUE(quoted);
  EXPECT_NE(quoted->find("a.on: expected true or false"), std::string::npos) << *quoted;
  write("[a]\nn = \"2\"\n");
  EXPECT_TRUE(settings::apply_file(table, path.string())) << "a string is not an integer in a file";
  write("n = 2\n");
  EXPECT_TRUE(settings::apply_file(table, path.string())) << "a key outside a [section]";
  std::filesystem::remove(path);
}

TEST(Config, EnumsAreParsedWhereConfigurationIsRead) {
  ConfigSources s;
  s.overrides = {{"session.mode", "cookie"}, {"log.level", "warn"}, {"log.format", "json"}};
  auto c = load_config(s);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->session.mode, SessionMode::kCookie);
  EXPECT_EQ(c->log.level, LogLevel::kWarn);
  EXPECT_EQ(c->log.format, LogFormat::kJson);
  s.overrides = {{"log.format", "xml"}};
  auto bad = load_config(s);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "log.format: expected one of text|json, got \"xml\" (command line)");
}

}  // namespace
}  // namespace mc
