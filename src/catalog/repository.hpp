#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/model.hpp"
#include "core/task.hpp"
#include "db/database.hpp"

namespace mc::catalog {

// Where a read was served: "primary" or "replica" (the X-DB header).
template <class T>
struct FromDb {
  T value;
  std::string served_by;
};

// What a product write did.
struct ProductWrite {
  enum class Outcome { kUpdated, kNotFound, kForeignSku };
  Outcome outcome = Outcome::kNotFound;
  std::optional<Product> product;  // kUpdated: the product as the primary has it after the write
  db::Lsn lsn = 0;                 // kUpdated: a WAL position at or after the write's commit
  std::string sku;                 // kForeignSku: the first SKU that is not one of the product's
};

// The catalog's storage. Reads may come from a replica; writes go to the primary.
class CatalogRepository {
 public:
  virtual ~CatalogRepository() = default;
  virtual Task<FromDb<std::vector<Category>>> categories() = 0;
  virtual Task<FromDb<std::optional<Product>>> product(std::int64_t id) = 0;
  virtual Task<FromDb<std::optional<std::int64_t>>> product_id_by_slug(std::string slug) = 0;
  virtual Task<FromDb<Listing>> list(ListingQuery query) = 0;

  // The same reads for the cache's loaders after a catalog write: they see every write up to `after` (the
  // last write's WAL position; 0: any replica will do). A repository without replicas is never behind, so
  // by default these are the plain reads.
  virtual Task<FromDb<std::vector<Category>>> categories_after(db::Lsn after);
  virtual Task<FromDb<std::optional<Product>>> product_after(std::int64_t id, db::Lsn after);
  virtual Task<FromDb<Listing>> list_after(ListingQuery query, db::Lsn after);

  // Applies `change` to product `id` in one transaction on the primary, then reads the product back from the
  // primary. Throws db::Error when the primary cannot answer; by default (a read-only repository) throws
  // std::logic_error.
  virtual Task<ProductWrite> update_product(std::int64_t id, ProductChange change);
};

std::unique_ptr<CatalogRepository> make_pg_repository(db::Cluster& db);

}  // namespace mc::catalog
