#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/model.hpp"
#include "core/expected.hpp"

namespace mc::catalog {

inline constexpr int kMaxPerPage = 100;
inline constexpr int kMaxPage = 10000;
inline constexpr std::size_t kMaxQueryBytes = 200;
inline constexpr std::size_t kMaxTerms = 8;

struct QueryError {
  std::string field;
  std::string message;
};

// Builds a ListingQuery from raw request parameters (`get(name)` returns a decoded query parameter).
// Every limit is checked here; the repository trusts what it receives.
Expected<ListingQuery, QueryError> parse_listing_query(
    const std::function<std::optional<std::string>(std::string_view)>& get, int default_per_page);

// Search text -> terms: trimmed, ASCII lower-cased, split on white space, at most kMaxTerms.
std::vector<std::string> search_terms(std::string_view text);

// A LIKE pattern that matches `term` anywhere, with LIKE's wildcards escaped.
std::string contains_pattern(std::string_view term);

std::optional<Sort> parse_sort(std::string_view text);
std::string_view to_string(Sort sort);

// The canonical form of a query, used in cache keys: equal queries give equal strings.
std::string canonical_key(const ListingQuery& q);

}  // namespace mc::catalog
