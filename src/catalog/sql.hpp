#pragma once

#include <string_view>

#include "db/database.hpp"

// Every SQL statement of the catalog, named and parameterised. Reads run on replicas.
namespace mc::catalog::sql {

inline constexpr db::Statement kSelectCategories{"catalog_categories", R"(
SELECT c.slug, c.name_ko, c.name_en, count(p.id) AS products
FROM categories c
LEFT JOIN products p ON p.category_id = c.id
GROUP BY c.id
ORDER BY c.position)"};

inline constexpr db::Statement kSelectProductById{"catalog_product_by_id", R"(
SELECT p.id, p.slug, p.name_ko, p.name_en, p.description_ko, p.description_en, c.slug AS category, p.price,
       p.featured,
       coalesce((SELECT json_agg(json_build_array(v.sku, v.size, v.color, v.stock) ORDER BY v.position)
                 FROM product_variants v WHERE v.product_id = p.id), '[]') AS variants
FROM products p
JOIN categories c ON c.id = p.category_id
WHERE p.id = $1)"};

inline constexpr db::Statement kSelectProductIdBySlug{"catalog_product_id_by_slug",
                                                      "SELECT id FROM products WHERE slug = $1"};

// Listings are assembled from the fragments below by listing_statement() (catalog/pg_repository.cpp): the
// filters present choose the WHERE clause and the sort an ORDER BY from an allow-list, so each combination
// is its own prepared statement with a plan that fits it. Only values travel as parameters.
inline constexpr std::string_view kListingHead = R"(
WITH page AS (
  SELECT p.id, p.slug, p.name_ko, p.name_en, p.category_id, p.price, p.created_at, p.featured, {score} AS score,
         count(*) OVER () AS total
  FROM products p
  WHERE true{where}
  ORDER BY {order}
  LIMIT {limit} OFFSET {offset}
)
SELECT page.id, page.slug, page.name_ko, page.name_en, c.slug AS category, page.price,
       (SELECT string_agg(color, ',' ORDER BY first_position)
        FROM (SELECT color, min(position) AS first_position FROM product_variants v
              WHERE v.product_id = page.id GROUP BY color) colors) AS colors,
       EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = page.id AND v.stock > 0) AS in_stock,
       page.total
FROM page
JOIN categories c ON c.id = page.category_id
ORDER BY {outer_order})";

}  // namespace mc::catalog::sql
