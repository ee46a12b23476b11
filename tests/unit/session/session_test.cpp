#include "session/session.hpp"

#include <gtest/gtest.h>

#include <set>

namespace mc::session {
namespace {

TEST(SessionId, IsA256BitUrlSafeToken) {
  const auto id = new_id();
  EXPECT_EQ(id.size(), 43u);
  EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_TRUE(valid_id(id));
}

TEST(SessionId, NeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(new_id()).second);
}

TEST(SessionId, AnythingElseIsNoSession) {
  const auto id = new_id();
  EXPECT_FALSE(valid_id(""));
  EXPECT_FALSE(valid_id(id.substr(0, 42)));
  EXPECT_FALSE(valid_id(id + "A"));
  EXPECT_FALSE(valid_id(std::string(42, 'A') + "="));
  EXPECT_FALSE(valid_id(std::string(42, 'A') + "+"));
  EXPECT_FALSE(valid_id(std::string(42, 'A') + "/"));
  EXPECT_FALSE(valid_id("mc:sess:*"));
  EXPECT_FALSE(valid_id(std::string(43, ' ')));
}

}  // namespace
}  // namespace mc::session
