#include "web/page_memo.hpp"

#include <gtest/gtest.h>

namespace mc::web {
namespace {

TEST(PageMemo, APageIsReusedOnlyForTheSameDocuments) {
  PageMemo memo;
  memo.remember("en|/p/x", {"cats-v1", "product-v1"}, "<html>v1</html>");
  const auto* same = memo.find("en|/p/x", {"cats-v1", "product-v1"});
  ASSERT_NE(same, nullptr);
  EXPECT_EQ(*same, "<html>v1</html>");
  EXPECT_EQ(memo.find("en|/p/x", {"cats-v1", "product-v2"}), nullptr) << "a changed product must re-render";
  EXPECT_EQ(memo.find("en|/p/x", {"cats-v1"}), nullptr);
  EXPECT_EQ(memo.find("ko|/p/x", {"cats-v1", "product-v1"}), nullptr) << "another language is another page";
}

TEST(PageMemo, ItStaysWithinItsCapacity) {
  PageMemo memo(3);
  for (int i = 0; i < 10; ++i) memo.remember("k" + std::to_string(i), {"s"}, "html");
  EXPECT_LE(memo.size(), 3u);
  EXPECT_NE(memo.find("k9", {"s"}), nullptr);
}

}  // namespace
}  // namespace mc::web
