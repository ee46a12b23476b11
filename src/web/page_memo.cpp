#include "web/page_memo.hpp"

#include <algorithm>

#include "catalog/json.hpp"

namespace mc::web {

const std::string* PageMemo::find(const std::string& key, const std::vector<std::string_view>& sources) const {
  auto it = pages_.find(key);
  if (it == pages_.end()) return nullptr;
  const auto& kept = it->second.sources;
  if (!std::equal(kept.begin(), kept.end(), sources.begin(), sources.end())) return nullptr;
  return &it->second.html;
}

void PageMemo::remember(std::string key, std::vector<std::string> sources, std::string html) {
  if (capacity_ == 0) return;
  if (pages_.size() >= capacity_ && !pages_.contains(key)) pages_.clear();
  pages_[std::move(key)] = Page{std::move(sources), std::move(html)};
}

const std::vector<catalog::Category>* PageMemo::categories(std::string_view body) {
  if (body != categories_body_ || categories_body_.empty()) {
    auto parsed = catalog::categories_from_json(body);
    if (!parsed) return nullptr;
    categories_ = std::move(*parsed);
    categories_body_ = std::string(body);
  }
  return &categories_;
}

}  // namespace mc::web
