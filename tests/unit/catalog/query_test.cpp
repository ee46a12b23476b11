#include "catalog/query.hpp"

#include <gtest/gtest.h>

#include <map>

namespace mc::catalog {
namespace {

Expected<ListingQuery, QueryError> parse(std::map<std::string, std::string> params) {
  return parse_listing_query(
      [&](std::string_view name) -> std::optional<std::string> {
        auto it = params.find(std::string(name));
        if (it == params.end()) return std::nullopt;
        return it->second;
      },
      24);
}

TEST(SearchTerms, LowerCasesAsciiKeepsHangulAndSplitsOnSpace) {
  EXPECT_EQ(search_terms("  Flight   JACKET "), (std::vector<std::string>{"flight", "jacket"}));
  EXPECT_EQ(search_terms("항공 점퍼"), (std::vector<std::string>{"항공", "점퍼"}));
  EXPECT_EQ(search_terms("MA-1\t항공점퍼"), (std::vector<std::string>{"ma-1", "항공점퍼"}));
  EXPECT_TRUE(search_terms("   ").empty());
}

TEST(SearchTerms, KeepsAtMostEightTerms) { EXPECT_EQ(search_terms("a b c d e f g h i j").size(), kMaxTerms); }

TEST(ContainsPattern, EscapesLikeWildcards) {
  EXPECT_EQ(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
  EXPECT_EQ(contains_pattern("점퍼"), "%점퍼%");
}

TEST(ListingQuery, DefaultsAndSearchSortsByRelevance) {
  auto q = parse({});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->sort, Sort::kNew);
  EXPECT_EQ(q->page, 1);
  EXPECT_EQ(q->per_page, 24);
  auto s = parse({{"q", "항공 점퍼"}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sort, Sort::kRelevance);
  EXPECT_EQ(s->terms.size(), 2u);
}

TEST(ListingQuery, EmptyFormFieldsMeanNotSet) {
  auto q = parse({{"min_price", ""}, {"max_price", ""}, {"size", ""}, {"q", ""}});
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->min_price);
  EXPECT_FALSE(q->size);
  EXPECT_TRUE(q->terms.empty());
}

TEST(ListingQuery, EveryLimitIsCheckedAndNamed) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
      {{{"per_page", "101"}}, "per_page"},
      {{{"per_page", "0"}}, "per_page"},
      {{{"page", "0"}}, "page"},
      {{{"page", "abc"}}, "page"},
      {{{"min_price", "-1"}}, "min_price"},
      {{{"max_price", "1e9"}}, "max_price"},
      {{{"min_price", "5000"}, {"max_price", "100"}}, "min_price"},
      {{{"sort", "id; drop table products"}}, "sort"},
      {{{"size", "M' OR 1=1"}}, "size"},
      {{{"color", std::string(21, 'a')}}, "color"},
      {{{"category", "../etc"}}, "category"},
      {{{"q", std::string(201, 'a')}}, "q"},
      {{{"q", std::string("\xff\xfe")}}, "q"},
  };
  for (const auto& [params, field] : bad) {
    auto q = parse(params);
    ASSERT_FALSE(q) << field;
    EXPECT_EQ(q.error().field, field);
    EXPECT_FALSE(q.error().message.empty());
  }
}

TEST(ListingQuery, AcceptsEveryDocumentedFilter) {
  auto q = parse({{"category", "outerwear"},
                  {"size", "M"},
                  {"color", "black"},
                  {"min_price", "10000"},
                  {"max_price", "200000"},
                  {"sort", "price_desc"},
                  {"page", "3"},
                  {"per_page", "100"}});
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(*q->category, "outerwear");
  EXPECT_EQ(*q->size, "M");
  EXPECT_EQ(*q->color, "black");
  EXPECT_EQ(*q->min_price, 10000);
  EXPECT_EQ(*q->max_price, 200000);
  EXPECT_EQ(q->sort, Sort::kPriceDesc);
  EXPECT_EQ(q->page, 3);
  EXPECT_EQ(q->per_page, 100);
}

TEST(CanonicalKey, EqualQueriesGiveEqualKeysAndDifferentQueriesDiffer) {
  auto a = parse({{"q", "Flight  Jacket"}, {"page", "1"}});
  auto b = parse({{"q", "flight jacket"}});
  auto c = parse({{"q", "flight jacket"}, {"page", "2"}});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(canonical_key(*a), canonical_key(*b));
  EXPECT_NE(canonical_key(*a), canonical_key(*c));
}

}  // namespace
}  // namespace mc::catalog
