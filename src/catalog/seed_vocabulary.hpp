#pragma once

// The words the catalog seed composes product names from. Internal to seed.cpp (and its tests).

#include <cstdint>
#include <span>
#include <string_view>

namespace mc::catalog::detail {

struct Word {
  std::string_view ko;
  std::string_view en;
};

struct Garment {
  Word name;                  // "항공 점퍼" / "Flight Jacket"
  std::string_view keywords;  // what shoppers type besides the name: "MA-1 bomber 항공점퍼 flight jacket"
  std::int64_t price_lo = 0;  // KRW, a multiple of 100
  std::int64_t price_hi = 0;
  int weight = 1;                   // relative frequency within the category
  std::span<const Word> materials;  // optional second modifier, plausible for this garment only
};

struct CategoryVocabulary {
  int category_id = 0;  // palette.hpp's CategoryInfo::id
  int weight = 1;       // relative frequency in the catalog
  std::span<const Garment> garments;
  std::span<const Word> styles;  // fits and looks that suit every garment of the category
};

std::span<const CategoryVocabulary> vocabulary();

struct Sentence {
  std::string_view ko;  // "{name}" stands for the product's name, "{n}" for its number of colours
  std::string_view en;
};

std::span<const Sentence> intro_sentences();
std::span<const Sentence> detail_sentences();
std::span<const Sentence> closing_sentences();

}  // namespace mc::catalog::detail
