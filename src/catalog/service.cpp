#include "catalog/service.hpp"

#include <fmt/format.h>

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

Task<Served> CatalogService::categories() {
  const auto key = fmt::format("mc:categories:{}", co_await version());
  auto f = co_await cache_.get_or_load(key, config_.listing_ttl, [this]() -> Task<cache::Loaded> {
    auto r = co_await repository_.categories();
    co_return cache::Loaded{to_json(r.value), r.served_by, true};
  });
  co_return served(std::move(f));
}

Task<Served> CatalogService::product(std::int64_t id) {
  auto f = co_await cache_.get_or_load(fmt::format("mc:product:{}", id), config_.product_ttl,
                                       [this, id]() -> Task<cache::Loaded> {
                                         auto r = co_await repository_.product(id);
                                         if (!r.value) co_return cache::Loaded{"", r.served_by, false};
                                         co_return cache::Loaded{to_json(*r.value), r.served_by, true};
                                       });
  co_return served(std::move(f));
}

Task<Served> CatalogService::product_by_slug(std::string slug) {
  auto f = co_await cache_.get_or_load(fmt::format("mc:slug:{}", slug), config_.product_ttl,
                                       [this, slug]() -> Task<cache::Loaded> {
                                         auto r = co_await repository_.product_id_by_slug(slug);
                                         if (!r.value) co_return cache::Loaded{"", r.served_by, false};
                                         co_return cache::Loaded{std::to_string(*r.value), r.served_by, true};
                                       });
  if (!f.found) co_return served(std::move(f));
  std::int64_t id = 0;
  try {
    id = std::stoll(f.value);
  } catch (const std::exception&) {
    co_return Served{"", false, f.hit, f.hit ? "none" : f.origin};
  }
  auto doc = co_await product(id);
  // The page came from the cache only if both steps did; X-DB names the database if either step used one.
  doc.hit = doc.hit && f.hit;
  if (doc.db == "none" && !f.hit) doc.db = f.origin;
  co_return doc;
}

Task<Served> CatalogService::list(const ListingQuery& query) {
  const auto key = fmt::format("mc:list:{}:{}", co_await version(), canonical_key(query));
  auto f = co_await cache_.get_or_load(key, config_.listing_ttl, [this, query]() -> Task<cache::Loaded> {
    auto r = co_await repository_.list(query);
    co_return cache::Loaded{to_json(r.value), r.served_by, true};
  });
  co_return served(std::move(f));
}

Task<void> CatalogService::invalidate_product(std::int64_t id) {
  std::vector<std::string> keys{fmt::format("mc:product:{}", id)};
  co_await cache_.store().del(std::move(keys));
  co_await cache_.store().incr(std::string(kVersionKey));
}

}  // namespace mc::catalog
