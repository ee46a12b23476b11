#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace mc::web {

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

// The request's query parameters, decoded, in order (malformed pairs are dropped).
QueryPairs query_pairs(std::string_view query);
std::string encode_query(const QueryPairs& pairs);

// `path` with the request's query, `name` set to `value` (or removed when value is empty) and every name in
// `drop` removed.
std::string link_with(std::string_view path, const QueryPairs& pairs, std::string_view name, std::string_view value,
                      std::initializer_list<std::string_view> drop = {});

}  // namespace mc::web
