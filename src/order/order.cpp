#include "order/order.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <set>

#include "cart/cart.hpp"
#include "catalog/service.hpp"
#include "core/text.hpp"
#include "db/database.hpp"

namespace mc::order {
namespace json = boost::json;

namespace {

constexpr db::Statement kListAddresses{
    "order_list_addresses",
    "SELECT id, recipient, line1, line2, city, postal_code, country, phone, is_default FROM addresses "
    "WHERE user_id = $1::bigint ORDER BY is_default DESC, id"};
constexpr db::Statement kInsertAddress{
    "order_insert_address",
    "INSERT INTO addresses (user_id, recipient, line1, line2, city, postal_code, country, phone) "
    "SELECT $1::bigint, $2, $3, $4, $5, $6, $7, $8 WHERE (SELECT count(*) FROM addresses WHERE user_id = $1::bigint) "
    "< 20 RETURNING id"};
constexpr db::Statement kUpdateAddress{
    "order_update_address",
    "UPDATE addresses SET recipient = $3, line1 = $4, line2 = $5, city = $6, postal_code = $7, country = $8, "
    "phone = $9 WHERE user_id = $1::bigint AND id = $2::bigint RETURNING id"};
constexpr db::Statement kDeleteAddress{"order_delete_address",
                                       "DELETE FROM addresses WHERE user_id = $1::bigint AND id = $2::bigint"};
// One statement, so there is never a moment with two defaults; the first address is the default too.
constexpr db::Statement kMakeDefault{"order_make_default",
                                     "UPDATE addresses SET is_default = (id = $2::bigint) WHERE user_id = $1::bigint "
                                     "AND (is_default OR id = $2::bigint)"};
constexpr db::Statement kPlaceOrder{
    "order_place",
    "SELECT outcome, order_id, short_sku, available FROM place_order($1::bigint, $2, $3::bigint, $4::text[], "
    "$5::integer[])"};
constexpr db::Statement kOrderByKey{"order_by_key",
                                    "SELECT id FROM orders WHERE user_id = $1::bigint AND idempotency_key = $2"};
constexpr db::Statement kOrderRows{
    "order_rows",
    "SELECT o.id, o.status, o.total, o.currency, o.address::text, "
    "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "(SELECT json_agg(json_build_object('sku', i.sku, 'product_id', i.product_id, 'slug', p.slug, 'category', "
    "c.slug, 'name', json_build_object('ko', i.name_ko, 'en', i.name_en), 'size', i.size, 'color', i.color, "
    "'qty', i.qty, 'unit_price', i.unit_price, 'line_total', i.qty * i.unit_price) ORDER BY i.sku) "
    "FROM order_items i LEFT JOIN products p ON p.id = i.product_id LEFT JOIN categories c ON c.id = p.category_id "
    "WHERE i.order_id = o.id)::text "
    "FROM orders o WHERE o.user_id = $1::bigint AND ($2::bigint = 0 OR o.id = $2::bigint) "
    "ORDER BY o.id DESC LIMIT 50"};

bool only(std::string_view s, std::string_view allowed_punctuation) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || allowed_punctuation.find(c) != std::string_view::npos;
  });
}

Error invalid(std::string field, std::string message) {
  return Error{Error::Code::kInvalidInput, std::move(message), std::move(field), "", 0};
}

Address address_from_row(const db::Result& r, int row) {
  return Address{r.int64(row, 0),
                 std::string(r.text(row, 1)),
                 std::string(r.text(row, 2)),
                 std::string(r.text(row, 3)),
                 std::string(r.text(row, 4)),
                 std::string(r.text(row, 5)),
                 std::string(r.text(row, 6)),
                 std::string(r.text(row, 7)),
                 r.boolean(row, 8)};
}

std::string string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A PostgreSQL array literal of SKUs (validated to [A-Za-z0-9-], so no element needs escaping).
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ",\"" : "\"") + items[i] + "\"";
  return out + "}";
}

json::object order_from_row(const db::Result& r, int row) {
  json::object o{{"id", r.int64(row, 0)},
                 {"status", std::string(r.text(row, 1))},
                 {"total", r.int64(row, 2)},
                 {"currency", std::string(r.text(row, 3))},
                 {"created_at", std::string(r.text(row, 5))}};
  o["address"] = json::parse(r.text(row, 4));
  o["items"] = r.is_null(row, 6) ? json::value(json::array{}) : json::parse(r.text(row, 6));
  return o;
}

}  // namespace

int Error::status() const {
  switch (code) {
    case Code::kInvalidInput:
    case Code::kEmptyCart:
      return 422;
    case Code::kNotFound:
      return 404;
    case Code::kInsufficientStock:
      return 409;
  }
  return 400;
}

std::string_view Error::api_code() const {
  switch (code) {
    case Code::kInvalidInput:
      return "invalid_input";
    case Code::kNotFound:
      return "not_found";
    case Code::kEmptyCart:
      return "empty_cart";
    case Code::kInsufficientStock:
      return "insufficient_stock";
  }
  return "invalid_input";
}

std::optional<Error> validate(const Address& a) {
  auto length = [](std::string_view s, std::size_t lo, std::size_t hi) {
    const auto n = utf8_length(s);
    return n >= lo && n <= hi && (lo == 0 || s.find_first_not_of(' ') != std::string_view::npos);
  };
  if (!length(a.recipient, 1, 100)) return invalid("recipient", "recipient must be 1 to 100 characters");
  if (!length(a.line1, 1, 200)) return invalid("line1", "line1 must be 1 to 200 characters");
  if (!length(a.line2, 0, 200)) return invalid("line2", "line2 must be at most 200 characters");
  if (!length(a.city, 1, 100)) return invalid("city", "city must be 1 to 100 characters");
  if (a.postal_code.empty() || a.postal_code.size() > 20 || !only(a.postal_code, " -")) {
    return invalid("postal_code", "postal_code must be 1 to 20 letters, digits, spaces or dashes");
  }
  if (a.country.size() != 2 || !std::isupper(static_cast<unsigned char>(a.country[0])) ||
      !std::isupper(static_cast<unsigned char>(a.country[1]))) {
    return invalid("country", "country must be a two-letter code such as KR");
  }
  if (a.phone.size() > 30 || !std::all_of(a.phone.begin(), a.phone.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == ' ' || c == '+' || c == '-';
      })) {
    return invalid("phone", "phone may hold up to 30 digits, spaces, '+' and '-'");
  }
  return std::nullopt;
}

Address address_from_fields(const std::function<std::string(std::string_view)>& field) {
  Address a;
  a.recipient = field("recipient");
  a.line1 = field("line1");
  a.line2 = field("line2");
  a.city = field("city");
  a.postal_code = field("postal_code");
  a.country = field("country");
  a.phone = field("phone");
  return a;
}

Address address_from_json(const json::object& o) {
  Address a = address_from_fields([&o](std::string_view key) { return string_of(o, key); });
  const auto* d = o.if_contains("is_default");
  a.is_default = d && d->is_bool() && d->as_bool();
  return a;
}

json::object to_json(const Address& a) {
  return json::object{{"id", a.id},           {"recipient", a.recipient}, {"line1", a.line1},
                      {"line2", a.line2},     {"city", a.city},           {"postal_code", a.postal_code},
                      {"country", a.country}, {"phone", a.phone},         {"is_default", a.is_default}};
}

bool valid_idempotency_key(std::string_view key) {
  return !key.empty() && key.size() <= 100 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

namespace {
// A position no replica has reached: reads that are part of a write (the address just added, the order
// just placed) run on the primary.
constexpr db::Lsn kOnThePrimary = std::numeric_limits<db::Lsn>::max();
}  // namespace

OrderService::OrderService(db::Cluster& db, session::SessionStore& sessions, catalog::CatalogService& catalog)
    : db_(db), sessions_(sessions), catalog_(catalog) {}

Task<std::vector<Address>> OrderService::addresses(std::int64_t user_id, db::Lsn after) {
  auto params = db::make_params(std::to_string(user_id));
  auto r = co_await db_.query_after(kListAddresses, std::move(params), after);
  std::vector<Address> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(address_from_row(r, i));
  co_return out;
}

Task<void> OrderService::make_default(std::int64_t user_id, std::int64_t id) {
  auto params = db::make_params(std::to_string(user_id), std::to_string(id));
  co_await db_.query(db::Role::kPrimary, kMakeDefault, std::move(params));
}

Task<Expected<Address, Error>> OrderService::add_address(std::int64_t user_id, Address a) {
  if (auto bad = validate(a)) co_return Unexpected(std::move(*bad));
  const bool first = (co_await addresses(user_id, kOnThePrimary)).empty();
  auto params = db::make_params(std::to_string(user_id), a.recipient, a.line1, a.line2, a.city, a.postal_code,
                                a.country, a.phone);
  auto r = co_await db_.query(db::Role::kPrimary, kInsertAddress, std::move(params));
  if (r.rows() == 0) co_return Unexpected(invalid("addresses", "an account keeps at most 20 addresses"));
  a.id = r.int64(0, 0);
  if (a.is_default || first) {
    co_await make_default(user_id, a.id);
    a.is_default = true;
  }
  co_return a;
}

Task<Expected<Address, Error>> OrderService::update_address(std::int64_t user_id, std::int64_t id, Address a) {
  if (auto bad = validate(a)) co_return Unexpected(std::move(*bad));
  auto params = db::make_params(std::to_string(user_id), std::to_string(id), a.recipient, a.line1, a.line2, a.city,
                                a.postal_code, a.country, a.phone);
  auto r = co_await db_.query(db::Role::kPrimary, kUpdateAddress, std::move(params));
  if (r.rows() == 0) co_return Unexpected(Error{Error::Code::kNotFound, "no such address", "", "", 0});
  a.id = id;
  if (a.is_default) co_await make_default(user_id, id);
  const auto all = co_await addresses(user_id, kOnThePrimary);
  for (const auto& saved : all) {
    if (saved.id == id) co_return saved;
  }
  co_return a;
}

Task<bool> OrderService::delete_address(std::int64_t user_id, std::int64_t id) {
  auto params = db::make_params(std::to_string(user_id), std::to_string(id));
  auto r = co_await db_.query(db::Role::kPrimary, kDeleteAddress, std::move(params));
  co_return r.affected_rows() > 0;
}

Task<Expected<Placed, Error>> OrderService::checkout(session::Session& s, std::int64_t address_id, std::string key) {
  if (!valid_idempotency_key(key)) {
    co_return Unexpected(invalid("Idempotency-Key", "send an Idempotency-Key header of 1 to 100 characters"));
  }
  auto lines = co_await sessions_.cart(s);
  std::vector<std::string> skus;
  std::vector<std::string> qtys;
  std::set<std::int64_t> products;
  for (const auto& l : lines) {
    if (l.qty < 1 || l.qty > cart::kMaxLineQty || l.sku.empty() || !only(l.sku, "-")) continue;
    skus.push_back(l.sku);
    qtys.push_back(std::to_string(l.qty));
    if (auto id = cart::product_id_of(l.sku)) products.insert(*id);
  }
  if (skus.empty()) {
    // A retry of an order that emptied the cart still answers with that order.
    auto lookup = db::make_params(std::to_string(s.user_id), key);
    auto found = co_await db_.query(db::Role::kPrimary, kOrderByKey, std::move(lookup));
    if (found.rows()) {
      auto existing = co_await order(s.user_id, found.int64(0, 0), kOnThePrimary);
      if (existing) co_return Placed{std::move(*existing), false};
    }
    co_return Unexpected(Error{Error::Code::kEmptyCart, "the cart is empty", "", "", 0});
  }
  auto params =
      db::make_params(std::to_string(s.user_id), key, std::to_string(address_id), text_array(skus), text_array(qtys));
  auto r = co_await db_.query(db::Role::kPrimary, kPlaceOrder, std::move(params));
  const std::string outcome(r.rows() ? r.text(0, 0) : "");
  if (outcome == "no_address") co_return Unexpected(invalid("address_id", "no such address in this account"));
  if (outcome == "insufficient_stock") {
    const std::string sku(r.text(0, 2));
    const int available = static_cast<int>(r.int64(0, 3));
    co_return Unexpected(Error{Error::Code::kInsufficientStock,
                               fmt::format("only {} of {} left; change the quantity and try again", available, sku), "",
                               sku, available});
  }
  if (outcome != "created" && outcome != "existing") throw std::runtime_error("place_order: unexpected " + outcome);
  const bool created = outcome == "created";
  db::Lsn written = 0;
  if (created) {
    co_await sessions_.clear_cart(s);
    written = co_await db_.primary_lsn();
    std::vector<std::int64_t> changed(products.begin(), products.end());
    co_await catalog_.forget_products(std::move(changed), written);
  }
  auto placed = co_await order(s.user_id, r.int64(0, 1), kOnThePrimary);
  if (!placed) throw std::runtime_error("place_order: the order is not there");
  co_return Placed{std::move(*placed), created, written};
}

Task<std::vector<json::object>> OrderService::orders(std::int64_t user_id, db::Lsn after) {
  auto params = db::make_params(std::to_string(user_id), std::string("0"));
  auto r = co_await db_.query_after(kOrderRows, std::move(params), after);
  std::vector<json::object> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(order_from_row(r, i));  // at most 50 (kOrderRows)
  co_return out;
}

Task<std::optional<json::object>> OrderService::order(std::int64_t user_id, std::int64_t id, db::Lsn after) {
  auto params = db::make_params(std::to_string(user_id), std::to_string(id));
  auto r = co_await db_.query_after(kOrderRows, std::move(params), after);
  if (r.rows() == 0) co_return std::nullopt;
  co_return order_from_row(r, 0);
}

}  // namespace mc::order
