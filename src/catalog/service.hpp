#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "catalog/model.hpp"
#include "catalog/repository.hpp"
#include "core/config.hpp"
#include "core/task.hpp"

namespace mc::cache {
class CacheAside;
}

namespace mc::catalog {

// A catalog document ready to send (JSON), and where it came from.
struct Served {
  std::string body;
  bool found = true;
  bool hit = false;         // X-Cache
  std::string db = "none";  // X-DB: primary | replica | none
};

// Catalog reads through cache-aside. Cache keys:
//   mc:product:{id}               the product document
//   mc:slug:{slug}                slug -> id
//   mc:catalog:version            bumped by any catalog write; part of every listing key, so one write
//   mc:list:{version}:{query}     makes every cached listing and search unreachable at once
//   mc:categories:{version}
//
// Two things are also held in the thread itself, because every page needs them and they barely change:
// the categories (the navigation; held for kCategoriesHold) and slug -> id (a product's slug never
// changes; held for kSlugHold, at most kSlugEntries). Product documents and listings are read from the
// cache every time, so a price or stock change shows at once.
class CatalogService {
 public:
  CatalogService(CatalogRepository& repository, cache::CacheAside& cache, const CacheConfig& config);

  Task<Served> categories();
  Task<Served> product(std::int64_t id);
  Task<Served> product_by_slug(std::string slug);
  Task<Served> list(const ListingQuery& query);

  // After a write to a product: its document goes, and every listing moves to a new version.
  Task<void> invalidate_product(std::int64_t id);
  // After its stock changed (an order): only its document goes, so its page shows the new stock at once.
  Task<void> forget_product(std::int64_t id);

 private:
  Task<std::int64_t> version();

  static constexpr std::chrono::milliseconds kCategoriesHold{1000};
  static constexpr std::chrono::seconds kSlugHold{60};
  static constexpr std::size_t kSlugEntries = 20000;
  struct HeldCategories {
    std::string body;
    std::chrono::steady_clock::time_point until;
  };
  struct HeldSlug {
    std::int64_t id;
    std::chrono::steady_clock::time_point until;
  };
  std::optional<HeldCategories> categories_;
  std::unordered_map<std::string, HeldSlug> slugs_;

  CatalogRepository& repository_;
  cache::CacheAside& cache_;
  CacheConfig config_;
};

}  // namespace mc::catalog
