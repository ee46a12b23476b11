#include "catalog/repository.hpp"

#include <stdexcept>

namespace mc::catalog {

Task<FromDb<std::vector<Category>>> CatalogRepository::categories_after(db::Lsn) { return categories(); }

Task<FromDb<std::optional<Product>>> CatalogRepository::product_after(std::int64_t id, db::Lsn) { return product(id); }

Task<FromDb<Listing>> CatalogRepository::list_after(ListingQuery query, db::Lsn) { return list(std::move(query)); }

Task<ProductWrite> CatalogRepository::update_product(std::int64_t, ProductChange) {
  throw std::logic_error("this catalog repository is read-only");
}

}  // namespace mc::catalog
