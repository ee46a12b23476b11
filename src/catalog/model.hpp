#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mc::catalog {

struct Localized {
  std::string ko;
  std::string en;
};

struct Category {
  std::string slug;
  Localized name;
  std::int64_t count = 0;  // products in the category
};

struct Variant {
  std::string sku;
  std::string size;
  std::string color;  // palette code
  int stock = 0;
};

struct Product {
  std::int64_t id = 0;
  std::string slug;
  Localized name;
  Localized description;
  std::string category;    // slug
  std::int64_t price = 0;  // KRW
  bool featured = false;
  std::vector<Variant> variants;  // in display order
};

struct ProductSummary {
  std::int64_t id = 0;
  std::string slug;
  Localized name;
  std::string category;
  std::int64_t price = 0;
  std::vector<std::string> colors;  // palette codes, display order
  bool in_stock = false;
};

enum class Sort { kRelevance, kNew, kPriceAsc, kPriceDesc, kName };

// A listing or search, validated: every field is within its limits.
struct ListingQuery {
  std::optional<std::string> category;
  std::vector<std::string> terms;  // search words, lower-cased; empty: no search
  std::optional<std::string> size;
  std::optional<std::string> color;
  std::optional<std::int64_t> min_price;
  std::optional<std::int64_t> max_price;
  Sort sort = Sort::kNew;
  int page = 1;
  int per_page = 24;
  bool featured_only = false;
  bool name_in_korean = false;  // sort=name orders by the Korean name (HTML pages in Korean)
};

struct Listing {
  std::vector<ProductSummary> items;
  std::int64_t total = 0;
  int page = 1;
  int per_page = 24;
};

// An administrator's change to one product (PUT /api/v1/admin/products/{id}), validated: only the fields
// present change. Slugs and categories never change here.
struct StockChange {
  std::string sku;
  int stock = 0;
};

struct ProductChange {
  std::optional<std::string> name_ko;
  std::optional<std::string> name_en;
  std::optional<std::string> description_ko;
  std::optional<std::string> description_en;
  std::optional<std::int64_t> price;  // KRW
  std::vector<StockChange> stock;     // distinct SKUs

  bool empty() const { return !name_ko && !name_en && !description_ko && !description_en && !price && stock.empty(); }
};

}  // namespace mc::catalog
