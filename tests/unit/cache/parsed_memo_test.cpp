#include "cache/parsed_memo.hpp"

#include <gtest/gtest.h>

namespace mc::cache {
namespace {

TEST(ParsedMemo, AnObjectIsReusedOnlyForTheTextItWasMadeFrom) {
  ParsedMemo<int> memo(8);
  auto one = std::make_shared<const int>(1);
  memo.remember("mc:product:1", R"({"price":1})", one);
  EXPECT_EQ(memo.find("mc:product:1", R"({"price":1})"), one);
  EXPECT_EQ(memo.find("mc:product:1", R"({"price":2})"), nullptr) << "a changed document is parsed again";
  EXPECT_EQ(memo.find("mc:product:2", R"({"price":1})"), nullptr);
  auto two = std::make_shared<const int>(2);
  memo.remember("mc:product:1", R"({"price":2})", two);
  EXPECT_EQ(memo.find("mc:product:1", R"({"price":2})"), two);
  EXPECT_EQ(memo.find("mc:product:1", R"({"price":1})"), nullptr) << "replaced, not added";
  EXPECT_EQ(memo.size(), 1u);
}

TEST(ParsedMemo, ItStaysWithinItsCapacity) {
  ParsedMemo<int> memo(3);
  for (int i = 0; i < 10; ++i) memo.remember("k" + std::to_string(i), "t", std::make_shared<const int>(i));
  EXPECT_LE(memo.size(), 3u);
  ASSERT_NE(memo.find("k9", "t"), nullptr);
  EXPECT_EQ(*memo.find("k9", "t"), 9);
  ParsedMemo<int> none(0);
  none.remember("k", "t", std::make_shared<const int>(0));
  EXPECT_EQ(none.find("k", "t"), nullptr);
}

}  // namespace
}  // namespace mc::cache
