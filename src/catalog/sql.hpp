#pragma once

#include <string_view>

#include "db/database.hpp"

// Every SQL statement of the catalog, named and parameterised. Reads run on replicas (or, right after a
// catalog write, on a replica that has replayed it, else the primary); writes run on the primary.
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

// An administrator's change to one product, in one statement and so one transaction on the primary. NULL
// parameters keep the column as it is; $7/$8 are the SKUs and stocks to set. Nothing changes unless the
// product exists and every SKU is one of its own. Locks are taken in the order checkout takes them (the
// product row, then its variants by SKU), so the two never deadlock.
//   $1 id, $2 name_ko, $3 name_en, $4 description_ko, $5 description_en, $6 price, $7 text[] skus, $8 int[] stocks
// One row: found (0|1), foreign_sku (NULL when none), updated (0|1), stocked (variants changed).
inline constexpr db::Statement kUpdateProduct{"catalog_update_product", R"(
WITH input AS (
  SELECT i.sku, i.stock FROM unnest($7::text[], $8::integer[]) AS i(sku, stock)
), target AS (
  SELECT p.id FROM products p WHERE p.id = $1::bigint
), foreign_sku AS (
  SELECT i.sku FROM input i
  WHERE NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.sku = i.sku AND v.product_id = $1::bigint)
  ORDER BY i.sku
  LIMIT 1
), product AS (
  UPDATE products p
  SET name_ko = coalesce($2::text, p.name_ko),
      name_en = coalesce($3::text, p.name_en),
      description_ko = coalesce($4::text, p.description_ko),
      description_en = coalesce($5::text, p.description_en),
      price = coalesce($6::bigint, p.price),
      updated_at = now()
  WHERE p.id = $1::bigint AND NOT EXISTS (SELECT 1 FROM foreign_sku)
  RETURNING p.id
), locked AS (
  SELECT v.sku FROM product_variants v
  WHERE v.product_id = $1::bigint AND v.sku IN (SELECT sku FROM input) AND EXISTS (SELECT 1 FROM product)
  ORDER BY v.sku
  FOR UPDATE
), stock AS (
  UPDATE product_variants v SET stock = i.stock
  FROM input i JOIN locked l ON l.sku = i.sku
  WHERE v.sku = i.sku
  RETURNING v.sku
)
SELECT (SELECT count(*) FROM target) AS found,
       (SELECT sku FROM foreign_sku) AS foreign_sku,
       (SELECT count(*) FROM product) AS updated,
       (SELECT count(*) FROM stock) AS stocked)"};

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
