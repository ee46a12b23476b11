#include "web/format.hpp"

namespace mc::web {
namespace {

std::string group_thousands(std::uint64_t magnitude) {
  std::string digits = std::to_string(magnitude);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// |n| without overflow for INT64_MIN.
std::uint64_t magnitude(std::int64_t n) {
  return n < 0 ? ~static_cast<std::uint64_t>(n) + 1 : static_cast<std::uint64_t>(n);
}

std::string replace_all(std::string_view text, std::string_view token, std::string_view value) {
  std::string out;
  out.reserve(text.size() + value.size());
  for (;;) {
    const auto at = text.find(token);
    if (at == std::string_view::npos || token.empty()) break;
    out.append(text.substr(0, at));
    out.append(value);
    text.remove_prefix(at + token.size());
  }
  out.append(text);
  return out;
}

}  // namespace

std::string format_count(std::int64_t n) { return (n < 0 ? "-" : "") + group_thousands(magnitude(n)); }

std::string format_krw(std::int64_t won) { return (won < 0 ? "-₩" : "₩") + group_thousands(magnitude(won)); }

std::string stock_text(Lang lang, int stock) {
  if (stock <= 0) return std::string(tr(lang, "sold_out"));
  if (stock <= kLowStock) return tr_n(lang, "left_n", stock);
  return std::string(tr(lang, "in_stock"));
}

std::string tr_n(Lang lang, std::string_view key, std::int64_t n) {
  return replace_all(tr(lang, key), "{n}", format_count(n));
}

std::string tr_with(Lang lang, std::string_view key, std::string_view name, std::string_view value) {
  return replace_all(tr(lang, key), "{" + std::string(name) + "}", value);
}

}  // namespace mc::web
