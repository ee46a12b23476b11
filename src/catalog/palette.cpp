#include "catalog/palette.hpp"

#include <array>

namespace mc::catalog {
namespace {

constexpr std::array<PaletteColor, 18> kPalette{{
    {"black", "블랙", "Black", "#1b1b1b"},
    {"white", "화이트", "White", "#fafafa"},
    {"navy", "네이비", "Navy", "#1f2a44"},
    {"khaki", "카키", "Khaki", "#6b6a45"},
    {"beige", "베이지", "Beige", "#d9c7a7"},
    {"grey", "그레이", "Grey", "#8e8e8e"},
    {"ivory", "아이보리", "Ivory", "#f3eddc"},
    {"olive", "올리브", "Olive", "#5a5e2e"},
    {"brown", "브라운", "Brown", "#6b4631"},
    {"burgundy", "버건디", "Burgundy", "#6d1f2f"},
    {"skyblue", "스카이블루", "Sky Blue", "#9cc7e6"},
    {"pink", "핑크", "Pink", "#f0b4c4"},
    {"red", "레드", "Red", "#c62828"},
    {"charcoal", "차콜", "Charcoal", "#36393d"},
    {"denim", "데님", "Denim Blue", "#3d5a80"},
    {"camel", "카멜", "Camel", "#b98a57"},
    {"mint", "민트", "Mint", "#a7dcc6"},
    {"yellow", "옐로우", "Yellow", "#f2d15c"},
}};

constexpr std::array<std::string_view, 6> kClothing{"XS", "S", "M", "L", "XL", "XXL"};
constexpr std::array<std::string_view, 6> kWaist{"26", "28", "30", "32", "34", "36"};
constexpr std::array<std::string_view, 11> kShoes{"230", "235", "240", "245", "250", "255",
                                                  "260", "265", "270", "275", "280"};
constexpr std::array<std::string_view, 1> kFree{"FREE"};

constexpr std::array<CategoryInfo, 7> kCategories{{
    {1, "outerwear", "아우터", "Outerwear", 1, kClothing},
    {2, "tops", "상의", "Tops", 2, kClothing},
    {3, "bottoms", "하의", "Bottoms", 3, kWaist},
    {4, "dresses", "원피스", "Dresses", 4, kClothing},
    {5, "shoes", "신발", "Shoes", 5, kShoes},
    {6, "bags", "가방", "Bags", 6, kFree},
    {7, "accessories", "액세서리", "Accessories", 7, kFree},
}};

}  // namespace

std::span<const PaletteColor> palette() { return kPalette; }
std::span<const CategoryInfo> categories() { return kCategories; }

const PaletteColor* find_color(std::string_view code) {
  for (const auto& c : kPalette) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

const CategoryInfo* find_category(std::string_view slug) {
  for (const auto& c : kCategories) {
    if (c.slug == slug) return &c;
  }
  return nullptr;
}

const CategoryInfo* find_category_by_id(int id) {
  for (const auto& c : kCategories) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace mc::catalog
