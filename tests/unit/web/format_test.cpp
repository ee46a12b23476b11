#include "web/format.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace mc::web {
namespace {

TEST(Format, Count) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(7), "7");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234), "1,234");
  EXPECT_EQ(format_count(12345), "12,345");
  EXPECT_EQ(format_count(123456), "123,456");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(-1234), "-1,234");
  EXPECT_EQ(format_count(std::numeric_limits<std::int64_t>::min()), "-9,223,372,036,854,775,808");
  EXPECT_EQ(format_count(std::numeric_limits<std::int64_t>::max()), "9,223,372,036,854,775,807");
}

TEST(Format, Krw) {
  EXPECT_EQ(format_krw(129000), "₩129,000");
  EXPECT_EQ(format_krw(0), "₩0");
  EXPECT_EQ(format_krw(990), "₩990");
  EXPECT_EQ(format_krw(1000000), "₩1,000,000");
  EXPECT_EQ(format_krw(-500), "-₩500");
}

TEST(Format, StockText) {
  EXPECT_EQ(stock_text(Lang::kEn, 0), "Sold out");
  EXPECT_EQ(stock_text(Lang::kKo, 0), "품절");
  EXPECT_EQ(stock_text(Lang::kEn, -3), "Sold out");
  EXPECT_EQ(stock_text(Lang::kEn, 1), "1 left");
  EXPECT_EQ(stock_text(Lang::kEn, 2), "2 left");
  EXPECT_EQ(stock_text(Lang::kKo, 2), "2개 남음");
  EXPECT_EQ(stock_text(Lang::kEn, 3), "3 left");
  EXPECT_EQ(stock_text(Lang::kEn, 4), "In stock");
  EXPECT_EQ(stock_text(Lang::kKo, 40), "재고 있음");
}

TEST(Format, TrN) {
  EXPECT_EQ(tr_n(Lang::kEn, "items_count", 1234), "1,234 items");
  EXPECT_EQ(tr_n(Lang::kKo, "items_count", 1234), "1,234개 상품");
  EXPECT_EQ(tr_n(Lang::kKo, "left_n", 2), "2개 남음");
  EXPECT_EQ(tr_n(Lang::kEn, "cart", 5), "Cart");  // no placeholder: unchanged
  EXPECT_EQ(tr_n(Lang::kEn, "unknown_key_{n}", 5), "unknown_key_5");
}

TEST(Format, TrWith) {
  EXPECT_EQ(tr_with(Lang::kEn, "results_for", "q", "flight jacket"), "Results for “flight jacket”");
  EXPECT_EQ(tr_with(Lang::kKo, "results_for", "q", "항공 점퍼"), "‘항공 점퍼’ 검색 결과");
  // The value is inserted once, never re-scanned for placeholders.
  EXPECT_EQ(tr_with(Lang::kEn, "results_for", "q", "{q}"), "Results for “{q}”");
}

}  // namespace
}  // namespace mc::web
