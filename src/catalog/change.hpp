#pragma once

#include <string>
#include <string_view>

#include "catalog/model.hpp"
#include "core/expected.hpp"

// The body of PUT /api/v1/admin/products/{id}: which fields of a product an administrator changes.
namespace mc::catalog {

inline constexpr std::int64_t kMinPrice = 1;            // KRW
inline constexpr std::int64_t kMaxPrice = 100'000'000;  // KRW
inline constexpr int kMaxStock = 100'000;               // per variant
inline constexpr std::size_t kMaxNameLength = 200;      // characters
inline constexpr std::size_t kMaxDescriptionLength = 4000;
inline constexpr std::size_t kMaxStockChanges = 500;
inline constexpr std::size_t kMaxSkuLength = 64;

// Why a body was refused: the field ("price", "name.ko", "variants[2].stock"; "" for the body as a whole)
// and a sentence for the administrator.
struct InvalidChange {
  std::string field;
  std::string message;
};

// Parses and validates a partial product:
//   {"name":{"ko","en"}, "description":{"ko","en"}, "price":KRW, "variants":[{"sku","stock"}]}
// every key optional (name and description may carry one language), at least one change, nothing else.
// Whether the SKUs belong to the product is for the database to say.
Expected<ProductChange, InvalidChange> parse_product_change(std::string_view body);

}  // namespace mc::catalog
