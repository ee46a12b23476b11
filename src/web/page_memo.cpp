#include "web/page_memo.hpp"

#include <algorithm>

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

}  // namespace mc::web
