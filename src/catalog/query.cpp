#include "catalog/query.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mc::catalog {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Sizes and colour codes are short tokens from the catalog: letters, digits and a few separators.
bool valid_token(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (c < 0x80) {
      if (c < 0x20 && !is_space(c)) return false;  // control characters have no place in a search
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if ((c >> 4) == 0xE) {
      extra = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

std::vector<std::string> search_terms(std::string_view text) {
  std::vector<std::string> terms;
  std::string current;
  auto flush = [&] {
    if (!current.empty() && terms.size() < kMaxTerms) terms.push_back(current);
    current.clear();
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_space(c)) {
      flush();
    } else {
      current.push_back(c < 0x80 ? static_cast<char>(std::tolower(c)) : ch);
    }
  }
  flush();
  return terms;
}

std::string contains_pattern(std::string_view term) {
  std::string out = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

std::optional<Sort> parse_sort(std::string_view text) {
  if (text == "relevance") return Sort::kRelevance;
  if (text == "new") return Sort::kNew;
  if (text == "price_asc") return Sort::kPriceAsc;
  if (text == "price_desc") return Sort::kPriceDesc;
  if (text == "name") return Sort::kName;
  return std::nullopt;
}

std::string_view to_string(Sort sort) {
  switch (sort) {
    case Sort::kRelevance:
      return "relevance";
    case Sort::kNew:
      return "new";
    case Sort::kPriceAsc:
      return "price_asc";
    case Sort::kPriceDesc:
      return "price_desc";
    case Sort::kName:
      return "name";
  }
  return "new";
}

Expected<ListingQuery, QueryError> parse_listing_query(
    const std::function<std::optional<std::string>(std::string_view)>& get, int default_per_page) {
  ListingQuery q;
  q.per_page = default_per_page;
  // An empty form field means "not set": browsers send min_price= when the box is left blank.
  auto value = [&](std::string_view name) -> std::optional<std::string> {
    auto v = get(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };

  if (auto c = value("category")) {
    if (!valid_token(*c)) return Unexpected(QueryError{"category", "unknown category"});
    q.category = *c;
  }
  if (auto text = value("q")) {
    if (text->size() > kMaxQueryBytes) {
      return Unexpected(QueryError{"q", fmt::format("search text is longer than {} bytes", kMaxQueryBytes)});
    }
    if (!valid_utf8(*text)) return Unexpected(QueryError{"q", "search text is not valid UTF-8"});
    q.terms = search_terms(*text);
  }
  if (auto s = value("size")) {
    if (!valid_token(*s)) return Unexpected(QueryError{"size", "size must be a short code such as M or 260"});
    q.size = *s;
  }
  if (auto c = value("color")) {
    if (!valid_token(*c)) return Unexpected(QueryError{"color", "color must be a colour code such as black"});
    q.color = *c;
  }
  for (auto [name, slot] : {std::pair{"min_price", &q.min_price}, std::pair{"max_price", &q.max_price}}) {
    if (auto v = value(name)) {
      auto n = parse_int(*v);
      if (!n || *n < 0 || *n > 100'000'000'000) {
        return Unexpected(QueryError{name, fmt::format("{} must be a whole number of won, 0 or more", name)});
      }
      *slot = *n;
    }
  }
  if (q.min_price && q.max_price && *q.min_price > *q.max_price) {
    return Unexpected(QueryError{"min_price", "min_price is greater than max_price"});
  }
  q.sort = q.terms.empty() ? Sort::kNew : Sort::kRelevance;
  if (auto s = value("sort")) {
    auto sort = parse_sort(*s);
    if (!sort) return Unexpected(QueryError{"sort", "sort must be one of new, price_asc, price_desc, name, relevance"});
    q.sort = *sort;
  }
  if (q.sort == Sort::kRelevance && q.terms.empty()) q.sort = Sort::kNew;
  if (auto p = value("page")) {
    auto n = parse_int(*p);
    if (!n || *n < 1 || *n > kMaxPage) {
      return Unexpected(QueryError{"page", fmt::format("page must be between 1 and {}", kMaxPage)});
    }
    q.page = static_cast<int>(*n);
  }
  if (auto p = value("per_page")) {
    auto n = parse_int(*p);
    if (!n || *n < 1 || *n > kMaxPerPage) {
      return Unexpected(QueryError{"per_page", fmt::format("per_page must be between 1 and {}", kMaxPerPage)});
    }
    q.per_page = static_cast<int>(*n);
  }
  return q;
}

std::string canonical_key(const ListingQuery& q) {
  std::string terms;
  for (const auto& t : q.terms) terms += (terms.empty() ? "" : " ") + t;
  return fmt::format("c={}&q={}&s={}&co={}&min={}&max={}&sort={}{}&p={}&pp={}&f={}", q.category.value_or(""), terms,
                     q.size.value_or(""), q.color.value_or(""), q.min_price ? std::to_string(*q.min_price) : "",
                     q.max_price ? std::to_string(*q.max_price) : "", to_string(q.sort),
                     q.sort == Sort::kName && q.name_in_korean ? "-ko" : "", q.page, q.per_page,
                     q.featured_only ? 1 : 0);
}

}  // namespace mc::catalog
