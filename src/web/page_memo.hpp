#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mc::web {

// Rendered pages remembered by one I/O thread, each together with the catalog documents it was rendered
// from. A page is reused only while the documents the request just read (through the cache, as always) are
// byte-for-byte the ones it was rendered from: a changed price or stock shows at once, and only the
// rendering is saved (the typed documents come from the catalog's own memo, catalog/service.hpp). Bounded: when full it
// starts over. Not thread-safe.
class PageMemo {
 public:
  explicit PageMemo(std::size_t capacity = 4096) : capacity_(capacity) {}

  // The page rendered for `key` from exactly `sources`, if any.
  const std::string* find(const std::string& key, const std::vector<std::string_view>& sources) const;
  void remember(std::string key, std::vector<std::string> sources, std::string html);

  std::size_t size() const { return pages_.size(); }

 private:
  struct Page {
    std::vector<std::string> sources;
    std::string html;
  };
  std::size_t capacity_;
  std::unordered_map<std::string, Page> pages_;
};

}  // namespace mc::web
