#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/model.hpp"
#include "core/task.hpp"

namespace mc::db {
class Cluster;
}

namespace mc::catalog {

// Where a read was served: "primary" or "replica" (the X-DB header).
template <class T>
struct FromDb {
  T value;
  std::string served_by;
};

// The catalog's storage. Reads may come from a replica.
class CatalogRepository {
 public:
  virtual ~CatalogRepository() = default;
  virtual Task<FromDb<std::vector<Category>>> categories() = 0;
  virtual Task<FromDb<std::optional<Product>>> product(std::int64_t id) = 0;
  virtual Task<FromDb<std::optional<std::int64_t>>> product_id_by_slug(std::string slug) = 0;
  virtual Task<FromDb<Listing>> list(ListingQuery query) = 0;
};

std::unique_ptr<CatalogRepository> make_pg_repository(db::Cluster& db);

}  // namespace mc::catalog
