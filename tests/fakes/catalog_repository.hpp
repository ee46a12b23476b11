#pragma once

// The catalog in memory: products by id, one category, every read answered by "a replica" (served_by) and
// counted, and admin writes applied as the primary would (unknown product: not found; a SKU of another
// product: refused, nothing changes).

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/repository.hpp"

namespace mc::fakes {

// Product 42, "항공 점퍼" / "Flight Jacket", 129,000 KRW: black M (3 in stock) and black L (sold out).
inline catalog::Product flight_jacket() {
  catalog::Product p;
  p.id = 42;
  p.slug = "flight-jacket-42";
  p.name = {"항공 점퍼", "Flight Jacket"};
  p.category = "outerwear";
  p.price = 129000;
  p.variants = {{"P42-BLACK-M", "M", "black", 3}, {"P42-BLACK-L", "L", "black", 0}};
  return p;
}

class CatalogRepository final : public catalog::CatalogRepository {
 public:
  template <class T>
  using FromDb = catalog::FromDb<T>;

  std::map<std::int64_t, catalog::Product> products{{42, flight_jacket()}};
  std::vector<catalog::Category> category_list{{"outerwear", {"아우터", "Outerwear"}, 1}};
  std::string served_by = "replica";
  db::Lsn next_lsn = 0x16B374D848;  // the position the next write reports
  db::Lsn product_read_after = 0;   // what the last product_after / list_after was asked to see
  db::Lsn list_read_after = 0;
  int product_loads = 0;
  int list_loads = 0;
  int slug_loads = 0;
  int writes = 0;

  Task<FromDb<std::vector<catalog::Category>>> categories() override {
    co_return FromDb<std::vector<catalog::Category>>{category_list, served_by};
  }
  Task<FromDb<std::optional<catalog::Product>>> product(std::int64_t id) override {
    ++product_loads;
    co_return FromDb<std::optional<catalog::Product>>{find(id), served_by};
  }
  Task<FromDb<std::optional<std::int64_t>>> product_id_by_slug(std::string slug) override {
    ++slug_loads;
    std::optional<std::int64_t> id;
    for (const auto& [key, p] : products) {
      if (p.slug == slug) id = key;
    }
    co_return FromDb<std::optional<std::int64_t>>{id, served_by};
  }
  // Every product, in id order, whatever the query asks (filters and sorting are the SQL's, tested against
  // PostgreSQL).
  Task<FromDb<catalog::Listing>> list(catalog::ListingQuery q) override {
    ++list_loads;
    catalog::Listing l;
    l.page = q.page;
    l.per_page = q.per_page;
    for (const auto& [id, p] : products) {
      catalog::ProductSummary s{id, p.slug, p.name, p.category, p.price, {}, false};
      for (const auto& v : p.variants) {
        if (std::find(s.colors.begin(), s.colors.end(), v.color) == s.colors.end()) s.colors.push_back(v.color);
        s.in_stock = s.in_stock || v.stock > 0;
      }
      l.items.push_back(std::move(s));
    }
    l.total = static_cast<std::int64_t>(l.items.size());
    co_return FromDb<catalog::Listing>{std::move(l), served_by};
  }

  Task<FromDb<std::optional<catalog::Product>>> product_after(std::int64_t id, db::Lsn after) override {
    product_read_after = after;
    return product(id);
  }
  Task<FromDb<catalog::Listing>> list_after(catalog::ListingQuery q, db::Lsn after) override {
    list_read_after = after;
    return list(std::move(q));
  }

  Task<catalog::ProductWrite> update_product(std::int64_t id, catalog::ProductChange change) override {
    catalog::ProductWrite w;
    auto it = products.find(id);
    if (it == products.end()) co_return w;
    auto& p = it->second;
    for (const auto& s : change.stock) {
      if (std::none_of(p.variants.begin(), p.variants.end(), [&](const auto& v) { return v.sku == s.sku; })) {
        w.outcome = catalog::ProductWrite::Outcome::kForeignSku;
        w.sku = s.sku;
        co_return w;
      }
    }
    ++writes;
    if (change.name_ko) p.name.ko = *change.name_ko;
    if (change.name_en) p.name.en = *change.name_en;
    if (change.description_ko) p.description.ko = *change.description_ko;
    if (change.description_en) p.description.en = *change.description_en;
    if (change.price) p.price = *change.price;
    for (const auto& s : change.stock) {
      for (auto& v : p.variants) {
        if (v.sku == s.sku) v.stock = s.stock;
      }
    }
    w.outcome = catalog::ProductWrite::Outcome::kUpdated;
    w.lsn = next_lsn;
    w.product = p;  // as "the primary" has it now
    co_return w;
  }

 private:
  std::optional<catalog::Product> find(std::int64_t id) const {
    auto it = products.find(id);
    if (it == products.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace mc::fakes
