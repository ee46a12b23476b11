#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "web/i18n.hpp"

// How numbers read on the storefront: prices in won, counts with thousands separators, stock as words.
namespace mc::web {

std::string format_count(std::int64_t n);  // 1234 → "1,234"; -5 → "-5"
std::string format_krw(std::int64_t won);  // 129000 → "₩129,000"; -500 → "-₩500"

// Low stock is worth telling the shopper about: "2 left" for 1..kLowStock, else "Sold out" / "In stock".
inline constexpr int kLowStock = 3;
std::string stock_text(Lang lang, int stock);

// tr(lang, key) with "{n}" replaced by format_count(n): tr_n(kKo, "items_count", 1234) → "1,234개 상품".
std::string tr_n(Lang lang, std::string_view key, std::int64_t n);
// tr(lang, key) with every "{name}" replaced by `value` (inserted as is: escaping is the template's job).
std::string tr_with(Lang lang, std::string_view key, std::string_view name, std::string_view value);

}  // namespace mc::web
