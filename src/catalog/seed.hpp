#pragma once

// The deterministic bilingual catalog seed behind `myclothes seed`: the same options always produce the
// same rows, byte for byte, on any machine (own PRNG, no std:: distributions).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace mc::catalog {

struct SeedOptions {
  std::int64_t products = 10000;
  std::uint64_t seed = 1;
};

struct SeedReport {
  std::int64_t products = 0;  // rows written; when skipped, the products already there
  std::int64_t variants = 0;  // rows written
  bool skipped = false;       // only_if_empty and the catalog already had products
};

inline constexpr std::int64_t kMaxSeedProducts = 10'000'000;
inline constexpr std::int64_t kMinSeedPrice = 9'900;  // KRW
inline constexpr std::int64_t kMaxSeedPrice = 399'000;
// created_at of seeded products lies in the 365 days before this instant (2025-01-01T00:00:00Z), so the
// rows do not depend on when the seed ran.
inline constexpr std::int64_t kSeedEpochUnix = 1'735'689'600;

struct ProductRow {
  std::int64_t id = 0;
  std::string slug;
  int category_id = 0;
  std::string name_ko;
  std::string name_en;
  std::string description_ko;
  std::string description_en;
  std::string keywords;
  std::int64_t price = 0;  // KRW
  bool featured = false;
  std::int64_t created_at = 0;  // unix seconds
};

struct VariantRow {
  std::string sku;  // "P{id}-{COLOR}-{SIZE}"
  std::int64_t product_id = 0;
  std::string size;
  std::string color;  // palette code
  int stock = 0;
  int position = 0;  // display order within the product
};

struct GeneratedProduct {
  ProductRow product;
  std::vector<VariantRow> variants;
};

// Generates product `id` of the catalog for `seed`. Each product depends only on (seed, id), so any range of
// ids can be generated without the ones before it.
class CatalogGenerator {
 public:
  explicit CatalogGenerator(std::uint64_t seed) : seed_(seed) {}

  GeneratedProduct product(std::int64_t id) const;
  void product(std::int64_t id, GeneratedProduct& out) const;  // reuses out's buffers

 private:
  std::uint64_t seed_;
};

// "YYYY-MM-DD HH:MM:SS+00", what PostgreSQL reads as a UTC timestamptz.
std::string format_utc_timestamp(std::int64_t unix_seconds);

// Fills an empty catalog with `options.products` products (ids 1..N) and their variants, plus the categories
// and colours, in one transaction, then ANALYZEs the tables. A catalog that already has products is left
// alone: with `only_if_empty` the report says skipped, otherwise it is an error. `progress(done, total)` is
// called every few thousand products while rows load; the index builds and ANALYZE that follow take about
// as long again. Expects the migrations to have run. While it runs, the catalog tables are locked.
Expected<SeedReport, std::string> seed_catalog(
    const std::string& conninfo, const SeedOptions& options, bool only_if_empty,
    const std::function<void(std::int64_t done, std::int64_t total)>& progress);

}  // namespace mc::catalog
