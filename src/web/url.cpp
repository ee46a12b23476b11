#include "web/url.hpp"

#include <algorithm>

namespace mc::web {

QueryPairs query_pairs(std::string_view query) {
  QueryPairs out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    auto name = http::url_decode(part.substr(0, eq), true);
    auto value = http::url_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
    if (name && value) out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string encode_query(const QueryPairs& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    out += out.empty() ? "" : "&";
    out += http::url_encode(k) + "=" + http::url_encode(v);
  }
  return out;
}

std::string link_with(std::string_view path, const QueryPairs& pairs, std::string_view name, std::string_view value,
                      std::initializer_list<std::string_view> drop) {
  QueryPairs next;
  for (const auto& p : pairs) {
    if (p.first == name || p.second.empty()) continue;
    if (std::find(drop.begin(), drop.end(), p.first) != drop.end()) continue;
    next.push_back(p);
  }
  if (!value.empty()) next.emplace_back(std::string(name), std::string(value));
  const auto q = encode_query(next);
  return q.empty() ? std::string(path) : std::string(path) + "?" + q;
}

}  // namespace mc::web
