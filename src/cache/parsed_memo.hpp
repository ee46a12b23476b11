#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mc::cache {

// Objects made from cached documents, remembered by one I/O thread together with the exact text each was
// made from. A cache hit returns the bytes the store holds; while they are the bytes an object was made
// from, that object is reused (a string compare instead of a parse). When they differ the caller makes a new
// one, so a changed document is never answered with an old object, and nothing needs invalidating.
// Bounded: when full it starts over. Not thread-safe.
template <class T>
class ParsedMemo {
 public:
  explicit ParsedMemo(std::size_t capacity) : capacity_(capacity) {}

  // The object remembered for `key`, if it was made from exactly `text`.
  std::shared_ptr<const T> find(std::string_view key, std::string_view text) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.text != text) return nullptr;
    return it->second.value;
  }

  void remember(std::string_view key, std::string text, std::shared_ptr<const T> value) {
    if (capacity_ == 0 || !value) return;
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= capacity_) entries_.clear();
      entries_.emplace(std::string(key), Entry{std::move(text), std::move(value)});
    } else {
      it->second = Entry{std::move(text), std::move(value)};
    }
  }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Entry {
    std::string text;
    std::shared_ptr<const T> value;
  };
  std::size_t capacity_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace mc::cache
