#include "catalog/service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "cache/cache.hpp"
#include "catalog/json.hpp"
#include "catalog/query.hpp"
#include "core/metrics.hpp"

namespace mc::catalog {
namespace {

constexpr std::string_view kVersionKey = "mc:catalog:version";
constexpr std::string_view kPositionKey = "mc:catalog:lsn";
constexpr std::string_view kCategoriesDoc = "mc:categories";  // the categories' entry in their ParsedMemo

// The text of `f` and where it came from, without the typed document.
template <class T>
Served<T> origin_of(cache::Fetched f) {
  Served<T> s;
  s.body = std::move(f.value);
  s.found = f.found;
  s.hit = f.hit;
  s.db = f.hit ? std::string("none") : std::move(f.origin);
  return s;
}

// The text of `f` with its typed document (when `need` asks for it): the one remembered for `doc_key` if it was
// made from this very text, else parsed from it once and remembered.
template <class T, class Parse>
Served<T> served(cache::Fetched f, cache::ParsedMemo<T>& memo, std::string_view doc_key, Need need, Parse parse) {
  auto s = origin_of<T>(std::move(f));
  if (!s.found || need != Need::kDocument) return s;
  s.doc = memo.find(doc_key, s.body);
  if (s.doc) return s;
  auto parsed = parse(s.body);
  if (!parsed) {
    spdlog::warn("{}: {}", doc_key, parsed.error());
    return s;
  }
  s.doc = std::make_shared<const T>(std::move(*parsed));
  memo.remember(doc_key, s.body, s.doc);
  return s;
}

// A document made from a row: remembered with its text, which is serialized this once (and cached).
template <class T>
std::string made(cache::ParsedMemo<T>& memo, std::string_view doc_key, T value) {
  auto doc = std::make_shared<const T>(std::move(value));
  std::string text = to_json(*doc);
  memo.remember(doc_key, text, std::move(doc));
  return text;
}

// Positions are stored as 16 upper-case hex digits, so the store can compare them as text.
std::string position_text(db::Lsn lsn) { return fmt::format("{:016X}", lsn); }

db::Lsn parse_position(std::string_view text) {
  db::Lsn lsn = 0;
  const auto* end = text.data() + text.size();
  if (text.size() != 16 || std::from_chars(text.data(), end, lsn, 16).ptr != end) return 0;
  return lsn;
}

std::int64_t parse_version(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  if (std::from_chars(text.data(), end, v).ptr != end) return 0;
  return v;
}

metrics::Counter& catalog_writes() {
  static metrics::Counter& writes = metrics::registry().counter("myclothes_catalog_writes_total");
  return writes;
}

}  // namespace

CatalogService::CatalogService(CatalogRepository& repository, cache::CacheAside& cache, const CacheConfig& config)
    : repository_(repository), cache_(cache), config_(config), hold_(config.enabled) {
  metrics::registry().describe("myclothes_catalog_writes_total",
                               "Catalog changes committed through the admin API (PUT /api/v1/admin/products/{id}).");
  catalog_writes();  // the series exists (at 0) from the start
}

Task<CatalogService::Position> CatalogService::position() {
  std::vector<std::string> keys{std::string(kVersionKey), std::string(kPositionKey)};
  auto values = co_await cache_.store().get_many(std::move(keys));
  Position at;
  // This thread's own last write counts too: with the cache switched off (or Redis down) the store keeps no
  // position, and a read right after a write through this thread must still not come from a lagging replica.
  at.lsn = last_write_;
  if (!values || values->size() != 2) co_return at;
  if (const auto& v = (*values)[0]) at.version = parse_version(*v);
  if (const auto& p = (*values)[1]) at.lsn = std::max(at.lsn, parse_position(*p));
  co_return at;
}

namespace {
// A fill is cached only while no catalog write has moved the version since its load began.
cache::Guard guard_of(std::int64_t version) { return cache::Guard{std::string(kVersionKey), version}; }
}  // namespace

// GCC 12 miscompiles temporaries with non-trivial destructors inside a co_await expression (a lambda
// capturing a string is destroyed twice), so keys and loaders are named locals throughout.
Task<Served<std::vector<Category>>> CatalogService::categories() {
  const auto now = std::chrono::steady_clock::now();
  if (hold_ && categories_ && now < categories_->until) {
    auto held = categories_->served;
    held.hit = true;
    held.db = "none";
    co_return held;
  }
  const Position at = co_await position();
  std::string key = fmt::format("mc:categories:{}", at.version);
  cache::Loader load = [this, at]() -> Task<cache::Loaded> {
    auto r = co_await repository_.categories_after(at.lsn);
    co_return cache::Loaded{made(categories_parsed_, kCategoriesDoc, std::move(r.value)), r.served_by, true,
                            guard_of(at.version)};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.listing_ttl, std::move(load));
  auto s = served(std::move(f), categories_parsed_, kCategoriesDoc, Need::kDocument, &categories_from_json);
  if (hold_ && s.doc) categories_ = HeldCategories{s, now + kCategoriesHold};
  co_return s;
}

Task<Served<Product>> CatalogService::product(std::int64_t id, Need need) {
  const std::string doc_key = fmt::format("mc:product:{}", id);
  std::string key = doc_key;
  // The position is read only on a miss, so a hit stays one GET.
  cache::Loader load = [this, id, doc_key]() -> Task<cache::Loaded> {
    const Position at = co_await position();
    auto r = co_await repository_.product_after(id, at.lsn);
    if (!r.value) co_return cache::Loaded{"", r.served_by, false};
    co_return cache::Loaded{made(products_, doc_key, std::move(*r.value)), r.served_by, true, guard_of(at.version)};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.product_ttl, std::move(load));
  co_return served(std::move(f), products_, doc_key, need, &product_from_json);
}

Task<Served<Product>> CatalogService::product_by_slug(std::string slug) {
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
  if (!f.found) co_return origin_of<Product>(std::move(f));
  std::int64_t id = 0;
  const auto* end = f.value.data() + f.value.size();
  if (std::from_chars(f.value.data(), end, id).ptr != end) {
    f.found = false;
    co_return origin_of<Product>(std::move(f));
  }
  if (hold_) {
    if (slugs_.size() >= kSlugEntries) slugs_.clear();
    slugs_[slug] = HeldSlug{id, now + kSlugHold};
  }
  auto doc = co_await product(id);
  // The page came from the cache only if both steps did; X-DB names the database if either step used one.
  doc.hit = doc.hit && f.hit;
  if (doc.db == "none" && !f.hit) doc.db = f.origin;
  co_return doc;
}

Task<Served<Listing>> CatalogService::list(const ListingQuery& query, Need need) {
  const Position at = co_await position();
  const std::string doc_key = canonical_key(query);
  std::string key = fmt::format("mc:list:{}:{}", at.version, doc_key);
  cache::Loader load = [this, query, at, doc_key]() -> Task<cache::Loaded> {
    auto r = co_await repository_.list_after(query, at.lsn);
    co_return cache::Loaded{made(listings_, doc_key, std::move(r.value)), r.served_by, true, guard_of(at.version)};
  };
  auto f = co_await cache_.get_or_load(std::move(key), config_.listing_ttl, std::move(load));
  co_return served(std::move(f), listings_, doc_key, need, &listing_from_json);
}

Task<Update> CatalogService::update_product(std::int64_t id, ProductChange change) {
  auto written = co_await repository_.update_product(id, std::move(change));
  Update out;
  if (written.outcome == ProductWrite::Outcome::kForeignSku) {
    out.outcome = Update::Outcome::kForeignSku;
    out.sku = std::move(written.sku);
  }
  if (written.outcome != ProductWrite::Outcome::kUpdated || !written.product) co_return out;
  catalog_writes().inc();
  out.outcome = Update::Outcome::kUpdated;
  const std::string key = fmt::format("mc:product:{}", id);
  out.body = made(products_, key, std::move(*written.product));
  categories_.reset();
  last_write_ = std::max(last_write_, written.lsn);
  // Write-through: the document read from the primary replaces the cached one, and the version and the
  // position move with it, so neither this document nor any listing can be refilled from a lagging replica.
  cache::Publication publication{key,
                                 out.body,
                                 cache_.jittered(config_.product_ttl),
                                 std::string(kVersionKey),
                                 std::string(kPositionKey),
                                 position_text(written.lsn)};
  out.published = co_await cache_.store().publish(std::move(publication));
  co_return out;
}

Task<void> CatalogService::forget_products(std::vector<std::int64_t> ids, db::Lsn lsn) {
  last_write_ = std::max(last_write_, lsn);
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (auto id : ids) keys.push_back(fmt::format("mc:product:{}", id));
  co_await cache_.store().forget(std::move(keys), std::string(kPositionKey), position_text(lsn));
}

Task<void> CatalogService::invalidate_product(std::int64_t id) {
  categories_.reset();
  std::vector<std::string> keys{fmt::format("mc:product:{}", id)};
  co_await cache_.store().del(std::move(keys));
  std::string version_key(kVersionKey);
  co_await cache_.store().incr(std::move(version_key));
}

}  // namespace mc::catalog
