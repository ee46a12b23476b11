#include "web/i18n.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace mc::web {
namespace {

TEST(I18n, ParseLang) {
  EXPECT_EQ(parse_lang("ko"), Lang::kKo);
  EXPECT_EQ(parse_lang("KO"), Lang::kKo);
  EXPECT_EQ(parse_lang("ko-KR"), Lang::kKo);
  EXPECT_EQ(parse_lang("en"), Lang::kEn);
  EXPECT_EQ(parse_lang("en-US"), Lang::kEn);
  EXPECT_EQ(parse_lang(""), Lang::kEn);
  EXPECT_EQ(parse_lang("kok"), Lang::kEn);  // Konkani is not Korean
  EXPECT_EQ(parse_lang("fr"), Lang::kEn);
  EXPECT_EQ(code(Lang::kKo), "ko");
  EXPECT_EQ(code(Lang::kEn), "en");
  EXPECT_EQ(parse_lang(code(Lang::kKo)), Lang::kKo);
}

TEST(I18n, FindLangAcceptsOnlyTheTwoCodes) {
  EXPECT_EQ(find_lang("ko"), Lang::kKo);
  EXPECT_EQ(find_lang("EN"), Lang::kEn);
  EXPECT_FALSE(find_lang("ko-KR"));
  EXPECT_FALSE(find_lang("fr"));
  EXPECT_FALSE(find_lang(""));
}

TEST(I18n, AcceptLanguage) {
  EXPECT_EQ(lang_from_accept_language("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"), "ko");
  EXPECT_EQ(lang_from_accept_language("ko"), "ko");
  EXPECT_EQ(lang_from_accept_language("en-US,en;q=0.9,ko;q=0.8"), "en");
  EXPECT_EQ(lang_from_accept_language(""), "en");
  EXPECT_EQ(lang_from_accept_language("*"), "en");
  EXPECT_EQ(lang_from_accept_language("fr-FR,fr;q=0.9"), "en");
  // Weights decide, not order.
  EXPECT_EQ(lang_from_accept_language("en;q=0.5, ko;q=0.9"), "ko");
  EXPECT_EQ(lang_from_accept_language("ko;q=0.4,en;q=0.6"), "en");
  // q=0 means "not acceptable".
  EXPECT_EQ(lang_from_accept_language("ko;q=0, en;q=0.1"), "en");
  EXPECT_EQ(lang_from_accept_language("ko;q=0"), "en");
  // Ties keep the header's order; whitespace and case do not matter.
  EXPECT_EQ(lang_from_accept_language("  KO-kr ; q=1.0 , en"), "ko");
  EXPECT_EQ(lang_from_accept_language("en, ko"), "en");
  // Malformed weights are skipped rather than trusted.
  EXPECT_EQ(lang_from_accept_language("en;q=abc, ko;q=0.5"), "ko");
  EXPECT_EQ(lang_from_accept_language("en;q=2, ko;q=0.3"), "ko");
  EXPECT_EQ(lang_from_accept_language("kok, en;q=0.9"), "en");
  EXPECT_EQ(lang_from_accept_language(",,,;;;,ko"), "ko");
}

TEST(I18n, AcceptLanguageReadsOnlyABoundedNumberOfEntries) {
  std::string header;
  for (int i = 0; i < 1000; ++i) header += "fr;q=0.1,";
  header += "ko";
  EXPECT_EQ(lang_from_accept_language(header), "en");
}

TEST(I18n, EveryKeyHasKoreanAndEnglishText) {
  const auto& keys = string_keys();
  ASSERT_GE(keys.size(), 40u);
  std::set<std::string_view> unique(keys.begin(), keys.end());
  EXPECT_EQ(unique.size(), keys.size()) << "a key is listed twice";
  std::size_t same = 0;
  for (auto key : keys) {
    const auto ko = tr(Lang::kKo, key);
    const auto en = tr(Lang::kEn, key);
    EXPECT_FALSE(ko.empty()) << key;
    EXPECT_FALSE(en.empty()) << key;
    EXPECT_NE(ko, key) << key << " has no Korean text";
    if (ko == en) ++same;
  }
  EXPECT_LE(same, 2u) << "most strings should differ between Korean and English";
}

TEST(I18n, TheKeysThePagesUseExist) {
  for (std::string_view key : {"site_name",
                               "search_placeholder",
                               "search_button",
                               "categories",
                               "featured",
                               "new_arrivals",
                               "home",
                               "cart",
                               "account",
                               "login",
                               "filter",
                               "size",
                               "color",
                               "price",
                               "min_price",
                               "max_price",
                               "apply",
                               "reset",
                               "sort",
                               "sort_new",
                               "sort_price_asc",
                               "sort_price_desc",
                               "sort_name",
                               "prev",
                               "next",
                               "page",
                               "items_count",
                               "no_results_title",
                               "no_results_help",
                               "try_these",
                               "results_for",
                               "sold_out",
                               "left_n",
                               "in_stock",
                               "add_to_cart",
                               "cart_title",
                               "not_found_title",
                               "not_found_message",
                               "back_home",
                               "error_title",
                               "description",
                               "language",
                               "all_products",
                               "sort_relevance",
                               "unavailable_message"}) {
    const auto& keys = string_keys();
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
    EXPECT_NE(tr(Lang::kEn, key), key) << key;
  }
  EXPECT_NE(tr(Lang::kKo, "items_count").find("{n}"), std::string_view::npos);
  EXPECT_NE(tr(Lang::kEn, "left_n").find("{n}"), std::string_view::npos);
  EXPECT_NE(tr(Lang::kKo, "results_for").find("{q}"), std::string_view::npos);
}

TEST(I18n, MissingKeyComesBackAsItself) {
  EXPECT_EQ(tr(Lang::kKo, "no_such_key"), "no_such_key");
  EXPECT_EQ(tr(Lang::kEn, ""), "");
}

TEST(I18n, SampleTexts) {
  EXPECT_EQ(tr(Lang::kKo, "cart"), "장바구니");
  EXPECT_EQ(tr(Lang::kEn, "cart"), "Cart");
  EXPECT_EQ(tr(Lang::kKo, "sold_out"), "품절");
}

}  // namespace
}  // namespace mc::web
