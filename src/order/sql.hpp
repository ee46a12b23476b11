#pragma once

#include "db/database.hpp"

// Every SQL statement of addresses and orders, named and parameterised. Writes, and the reads that are part
// of a write, run on the primary; a shopper's reads of their own addresses and orders run on a replica that
// has replayed their last write (query_after), else on the primary.
namespace mc::order::sql {

// $1 user. The default first.
inline constexpr db::Statement kListAddresses{"order_list_addresses", R"(
SELECT id, recipient, line1, line2, city, postal_code, country, phone, is_default
FROM addresses
WHERE user_id = $1::bigint
ORDER BY is_default DESC, id)"};

// $1 user, $2 recipient, $3 line1, $4 line2, $5 city, $6 postal code, $7 country, $8 phone. No row when the
// user keeps kMaxAddresses (20) already.
inline constexpr db::Statement kInsertAddress{"order_insert_address", R"(
INSERT INTO addresses (user_id, recipient, line1, line2, city, postal_code, country, phone)
SELECT $1::bigint, $2, $3, $4, $5, $6, $7, $8
WHERE (SELECT count(*) FROM addresses WHERE user_id = $1::bigint) < 20
RETURNING id)"};

// $1 user, $2 address, then the fields as for kInsertAddress ($3 … $9). No row when the address is not the
// user's.
inline constexpr db::Statement kUpdateAddress{"order_update_address", R"(
UPDATE addresses
SET recipient = $3, line1 = $4, line2 = $5, city = $6, postal_code = $7, country = $8, phone = $9
WHERE user_id = $1::bigint AND id = $2::bigint
RETURNING id)"};

inline constexpr db::Statement kDeleteAddress{"order_delete_address", R"(
DELETE FROM addresses WHERE user_id = $1::bigint AND id = $2::bigint)"};

// $1 user, $2 the new default. One statement, so there is never a moment with two defaults.
inline constexpr db::Statement kMakeDefault{"order_make_default", R"(
UPDATE addresses SET is_default = (id = $2::bigint)
WHERE user_id = $1::bigint AND (is_default OR id = $2::bigint))"};

// Checkout, in one statement and so one transaction (db/migrations/0003_orders.sql, docs/adr/0009).
//   $1 user, $2 idempotency key, $3 address, $4 text[] SKUs, $5 integer[] quantities
inline constexpr db::Statement kPlaceOrder{"order_place", R"(
SELECT outcome, order_id, short_sku, available
FROM place_order($1::bigint, $2, $3::bigint, $4::text[], $5::integer[], $6))"};

// $1 order, $2 a cart version: whether the order was made from that very cart.
inline constexpr db::Statement kOrderTookCart{"order_took_cart", R"(
SELECT coalesce(cart_version = $2, false) FROM orders WHERE id = $1::bigint)"};

inline constexpr db::Statement kOrderByKey{"order_by_key", R"(
SELECT id FROM orders WHERE user_id = $1::bigint AND idempotency_key = $2)"};

// $1 user, $2 order (0: all of them). Newest first, at most 50; each row an order with its items as JSON.
inline constexpr db::Statement kOrderRows{"order_rows", R"(
SELECT o.id, o.status, o.total, o.currency, o.address::text,
       to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       (SELECT json_agg(json_build_object('sku', i.sku, 'product_id', i.product_id, 'slug', p.slug,
                                          'category', c.slug,
                                          'name', json_build_object('ko', i.name_ko, 'en', i.name_en),
                                          'size', i.size, 'color', i.color, 'qty', i.qty, 'unit_price', i.unit_price,
                                          'line_total', i.qty * i.unit_price) ORDER BY i.sku)
        FROM order_items i
        LEFT JOIN products p ON p.id = i.product_id
        LEFT JOIN categories c ON c.id = p.category_id
        WHERE i.order_id = o.id)::text
FROM orders o
WHERE o.user_id = $1::bigint AND ($2::bigint = 0 OR o.id = $2::bigint)
ORDER BY o.id DESC
LIMIT 50)"};

}  // namespace mc::order::sql
