#pragma once

// The fixed vocabulary of the catalog: colours, categories and their size sets. The seed writes these into
// the `colors` and `categories` tables; codes appear in SKUs, URLs and filters, so they never change.

#include <span>
#include <string_view>

namespace mc::catalog {

struct PaletteColor {
  std::string_view code;  // lower-case ASCII, e.g. "skyblue"
  std::string_view name_ko;
  std::string_view name_en;
  std::string_view hex;  // "#rrggbb", lower-case
};

struct CategoryInfo {
  int id = 0;
  std::string_view slug;
  std::string_view name_ko;
  std::string_view name_en;
  int position = 0;
  std::span<const std::string_view> sizes;  // smallest first
};

std::span<const PaletteColor> palette();
std::span<const CategoryInfo> categories();

const PaletteColor* find_color(std::string_view code);     // nullptr when unknown
const CategoryInfo* find_category(std::string_view slug);  // nullptr when unknown
const CategoryInfo* find_category_by_id(int id);           // nullptr when unknown

}  // namespace mc::catalog
