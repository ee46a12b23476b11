#include "catalog/change.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/text.hpp"

namespace mc::catalog {
namespace json = boost::json;
namespace {

using Result = Expected<ProductChange, InvalidChange>;

Unexpected<InvalidChange> invalid(std::string field, std::string message) {
  return Unexpected(InvalidChange{std::move(field), std::move(message)});
}

// Text a shopper will read: not blank, within `max` characters, no control characters (a line break is
// allowed in descriptions).
std::optional<std::string> text_problem(std::string_view s, std::size_t max, bool multiline) {
  if (s.find_first_not_of(" \t\r\n") == std::string_view::npos) return "must not be empty";
  if (utf8_length(s) > max) return fmt::format("must be at most {} characters", max);
  for (unsigned char c : s) {
    if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t')))) {
      return "must not contain control characters";
    }
  }
  return std::nullopt;
}

// {"ko": "...", "en": "..."}, either or both.
std::optional<InvalidChange> localized(const json::value& v, std::string_view field, std::size_t max, bool multiline,
                                       std::optional<std::string>& ko, std::optional<std::string>& en) {
  if (!v.is_object() || v.as_object().empty()) {
    return InvalidChange{std::string(field), fmt::format("{} must be an object with \"ko\" and/or \"en\"", field)};
  }
  for (const auto& [key, text] : v.as_object()) {
    const std::string name = fmt::format("{}.{}", field, std::string_view(key));
    if (key != "ko" && key != "en") return InvalidChange{name, fmt::format("{} is not a field (ko or en)", name)};
    if (!text.is_string()) return InvalidChange{name, fmt::format("{} must be a string", name)};
    const std::string_view s = text.as_string();
    if (auto problem = text_problem(s, max, multiline)) return InvalidChange{name, name + " " + *problem};
    (key == "ko" ? ko : en) = std::string(s);
  }
  return std::nullopt;
}

// An integer in [lo, hi] (1000.0 and 1e3 are not integers here).
std::optional<std::int64_t> integer_in(const json::value& v, std::int64_t lo, std::int64_t hi) {
  if (!v.is_int64() && !v.is_uint64()) return std::nullopt;
  if (v.is_uint64() && v.as_uint64() > static_cast<std::uint64_t>(hi)) return std::nullopt;
  const std::int64_t n = v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

bool plausible_sku(std::string_view s) {
  return !s.empty() && s.size() <= kMaxSkuLength && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::optional<InvalidChange> stock_changes(const json::value& v, std::vector<StockChange>& out) {
  if (!v.is_array()) return InvalidChange{"variants", "variants must be an array of {\"sku\", \"stock\"}"};
  const auto& items = v.as_array();
  if (items.size() > kMaxStockChanges) {
    return InvalidChange{"variants", fmt::format("variants may change at most {} SKUs at once", kMaxStockChanges)};
  }
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string at = fmt::format("variants[{}]", i);
    if (!items[i].is_object()) return InvalidChange{at, at + " must be an object {\"sku\", \"stock\"}"};
    const auto& o = items[i].as_object();
    for (const auto& [key, value] : o) {
      if (key != "sku" && key != "stock") {
        const std::string name = fmt::format("{}.{}", at, std::string_view(key));
        return InvalidChange{name, fmt::format("{} is not a field (only sku and stock change here)", name)};
      }
    }
    const auto* sku = o.if_contains("sku");
    if (sku == nullptr || !sku->is_string() || !plausible_sku(sku->as_string())) {
      return InvalidChange{at + ".sku", at + ".sku must be a SKU, e.g. \"P42-BLACK-M\""};
    }
    const auto* stock = o.if_contains("stock");
    const auto n = stock ? integer_in(*stock, 0, kMaxStock) : std::nullopt;
    if (!n) return InvalidChange{at + ".stock", fmt::format("{}.stock must be an integer from 0 to {}", at, kMaxStock)};
    std::string code(sku->as_string());
    if (!seen.insert(code).second) return InvalidChange{at + ".sku", fmt::format("{} appears twice", code)};
    out.push_back(StockChange{std::move(code), static_cast<int>(*n)});
  }
  return std::nullopt;
}

}  // namespace

Expected<ProductChange, InvalidChange> parse_product_change(std::string_view body) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return invalid("", "The body must be a JSON object.");
  ProductChange change;
  for (const auto& [key, value] : v.as_object()) {
    if (key == "name") {
      if (auto bad = localized(value, "name", kMaxNameLength, false, change.name_ko, change.name_en)) {
        return Unexpected(std::move(*bad));
      }
    } else if (key == "description") {
      if (auto bad = localized(value, "description", kMaxDescriptionLength, true, change.description_ko,
                               change.description_en)) {
        return Unexpected(std::move(*bad));
      }
    } else if (key == "price") {
      change.price = integer_in(value, kMinPrice, kMaxPrice);
      if (!change.price) {
        return invalid("price",
                       fmt::format("price must be an integer number of KRW from {} to {}", kMinPrice, kMaxPrice));
      }
    } else if (key == "variants") {
      if (auto bad = stock_changes(value, change.stock)) return Unexpected(std::move(*bad));
    } else if (key == "slug" || key == "category") {
      return invalid(std::string(key), fmt::format("{} does not change here", std::string_view(key)));
    } else {
      return invalid(std::string(key), fmt::format("{} is not a field that can change (name, description, price, "
                                                   "variants)",
                                                   std::string_view(key)));
    }
  }
  if (change.empty()) return invalid("", "The body changes nothing: give name, description, price or variants.");
  return change;
}

}  // namespace mc::catalog
