#include "catalog/service.hpp"

#include <fmt/format.h>

#include <charconv>

#include "cache/cache.hpp"
#include "catalog/json.hpp"
#include "catalog/query.hpp"

namespace mc::catalog {
namespace {

constexpr std::string_view kVersionKey = "mc:catalog:version";

Served served(cache::Fetched f) {
  return Served{std::move(f.value), f.found, f.hit, f.hit ? std::string("none") : std::move(f.origin)};
}

}  // namespace

CatalogService::CatalogService(CatalogRepository& repository, cache::CacheAside& cache, const CacheConfig& config)
    : repository_(repository), cache_(cache), config_(config) {}

Task<std::int64_t> CatalogService::version() {
  co_return co_await cache_.store().get_counter(std::string(kVersionKey));
}

// GCC 12 miscompiles temporaries with non-trivial destructors inside a co_await expression (a lambda
// capturing a string is destroyed twice), so keys and loaders are named locals throughout.
Task<Served> CatalogService::categories() {
  const auto now = std::chrono::steady_clock::now();
  if (categories_ && now < categories_->until) co_return Served{categories_->body, true, true, "none"};
  const std::int64_t v = co_await version();
  std::string key = fmt::format("mc:categories:{}", v);
  cache::Loader load = [this]() -> Task<cache::Loaded> {
    auto r = co_await repository_.categories();
    co_return cache::Loaded{to_json(r.value), r.served_by, true};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.listing_ttl, std::move(load));
  if (f.found) categories_ = HeldCategories{f.value, now + kCategoriesHold};
  co_return served(std::move(f));
}

Task<Served> CatalogService::product(std::int64_t id) {
  std::string key = fmt::format("mc:product:{}", id);
  cache::Loader load = [this, id]() -> Task<cache::Loaded> {
    auto r = co_await repository_.product(id);
    if (!r.value) co_return cache::Loaded{"", r.served_by, false};
    co_return cache::Loaded{to_json(*r.value), r.served_by, true};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.product_ttl, std::move(load));
  co_return served(std::move(f));
}

Task<Served> CatalogService::product_by_slug(std::string slug) {
  const auto now = std::chrono::steady_clock::now();
  if (auto held = slugs_.find(slug); held != slugs_.end() && now < held->second.until) {
    auto doc = co_await product(held->second.id);
    if (doc.found) co_return doc;
    slugs_.erase(slug);  // the product went away: ask again below
  }
  std::string key = fmt::format("mc:slug:{}", slug);
  cache::Loader load = [this, slug]() -> Task<cache::Loaded> {
    auto r = co_await repository_.product_id_by_slug(slug);
    if (!r.value) co_return cache::Loaded{"", r.served_by, false};
    co_return cache::Loaded{std::to_string(*r.value), r.served_by, true};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.product_ttl, std::move(load));
  if (!f.found) co_return served(std::move(f));
  std::int64_t id = 0;
  const auto* end = f.value.data() + f.value.size();
  if (std::from_chars(f.value.data(), end, id).ptr != end) {
    f.found = false;
    co_return served(std::move(f));
  }
  if (slugs_.size() >= kSlugEntries) slugs_.clear();
  slugs_[slug] = HeldSlug{id, now + kSlugHold};
  auto doc = co_await product(id);
  // The page came from the cache only if both steps did; X-DB names the database if either step used one.
  doc.hit = doc.hit && f.hit;
  if (doc.db == "none" && !f.hit) doc.db = f.origin;
  co_return doc;
}

Task<Served> CatalogService::list(const ListingQuery& query) {
  const std::int64_t v = co_await version();
  std::string key = fmt::format("mc:list:{}:{}", v, canonical_key(query));
  cache::Loader load = [this, query]() -> Task<cache::Loaded> {
    auto r = co_await repository_.list(query);
    co_return cache::Loaded{to_json(r.value), r.served_by, true};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.listing_ttl, std::move(load));
  co_return served(std::move(f));
}

Task<void> CatalogService::forget_product(std::int64_t id) {
  std::vector<std::string> keys{fmt::format("mc:product:{}", id)};
  co_await cache_.store().del(std::move(keys));
}

Task<void> CatalogService::invalidate_product(std::int64_t id) {
  categories_.reset();
  std::vector<std::string> keys{fmt::format("mc:product:{}", id)};
  co_await cache_.store().del(std::move(keys));
  co_await cache_.store().incr(std::string(kVersionKey));
}

}  // namespace mc::catalog
