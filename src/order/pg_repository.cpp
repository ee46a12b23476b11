#include <boost/json.hpp>
#include <stdexcept>

#include "db/database.hpp"
#include "order/repository.hpp"
#include "order/sql.hpp"

namespace mc::order {
namespace json = boost::json;

namespace {

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

// A PostgreSQL array literal of plain elements (SKUs are validated to [A-Za-z0-9-], so none needs escaping).
template <class Element>
std::string plain_array(const std::vector<session::CartLine>& lines, Element element) {
  std::string out = "{";
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? ",\"" : "\"") + element(lines[i]) + "\"";
  return out + "}";
}

Placement::Outcome outcome_of(std::string_view text) {
  if (text == "created") return Placement::Outcome::kCreated;
  if (text == "existing") return Placement::Outcome::kExisting;
  if (text == "no_address") return Placement::Outcome::kNoAddress;
  if (text == "insufficient_stock") return Placement::Outcome::kInsufficientStock;
  throw std::runtime_error("place_order: unexpected " + std::string(text));
}

class PgOrderRepository final : public OrderRepository {
 public:
  explicit PgOrderRepository(db::Cluster& db) : db_(db) {}

  Task<std::vector<Address>> addresses(std::int64_t user_id, db::Lsn after) override {
    auto params = db::make_params(std::to_string(user_id));
    auto r = co_await db_.query_after(sql::kListAddresses, std::move(params), after);
    std::vector<Address> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(address_from_row(r, i));
    co_return out;
  }

  Task<std::optional<std::int64_t>> insert_address(std::int64_t user_id, Address a) override {
    auto params =
        db::make_params(std::to_string(user_id), std::move(a.recipient), std::move(a.line1), std::move(a.line2),
                        std::move(a.city), std::move(a.postal_code), std::move(a.country), std::move(a.phone));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kInsertAddress, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return r.int64(0, 0);
  }

  Task<bool> update_address(std::int64_t user_id, std::int64_t id, Address a) override {
    auto params = db::make_params(std::to_string(user_id), std::to_string(id), std::move(a.recipient),
                                  std::move(a.line1), std::move(a.line2), std::move(a.city), std::move(a.postal_code),
                                  std::move(a.country), std::move(a.phone));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kUpdateAddress, std::move(params));
    co_return r.rows() > 0;
  }

  Task<bool> delete_address(std::int64_t user_id, std::int64_t id) override {
    auto params = db::make_params(std::to_string(user_id), std::to_string(id));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kDeleteAddress, std::move(params));
    co_return r.affected_rows() > 0;
  }

  Task<void> make_default(std::int64_t user_id, std::int64_t id) override {
    auto params = db::make_params(std::to_string(user_id), std::to_string(id));
    co_await db_.query(db::Role::kPrimary, sql::kMakeDefault, std::move(params));
  }

  Task<Placement> place_order(std::int64_t user_id, std::string key, std::int64_t address_id,
                              std::vector<session::CartLine> lines, std::string cart_version) override {
    const std::string version = cart_version;
    db::Param cart = cart_version.empty() ? db::Param() : db::Param(std::move(cart_version));
    auto params = db::make_params(std::to_string(user_id), std::move(key), std::to_string(address_id),
                                  plain_array(lines, [](const session::CartLine& l) { return l.sku; }),
                                  plain_array(lines, [](const session::CartLine& l) { return std::to_string(l.qty); }),
                                  std::move(cart));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kPlaceOrder, std::move(params));
    Placement out;
    out.outcome = outcome_of(r.rows() ? r.text(0, 0) : "");
    switch (out.outcome) {
      case Placement::Outcome::kCreated:
        out.order_id = r.int64(0, 1);
        // After the commit: every read that must see the order (stock, the shopper's orders) waits for it.
        out.written = co_await db_.primary_lsn();
        break;
      case Placement::Outcome::kExisting: {
        out.order_id = r.int64(0, 1);
        if (!version.empty()) {
          auto took = db::make_params(std::to_string(out.order_id), version);
          auto t = co_await db_.query(db::Role::kPrimary, sql::kOrderTookCart, std::move(took));
          out.same_cart = t.rows() > 0 && t.boolean(0, 0);
        }
        break;
      }
      case Placement::Outcome::kInsufficientStock:
        out.sku = r.text(0, 2);
        out.available = static_cast<int>(r.int64(0, 3));
        break;
      case Placement::Outcome::kNoAddress:
        break;
    }
    co_return out;
  }

  Task<std::optional<std::int64_t>> order_by_key(std::int64_t user_id, std::string key) override {
    auto params = db::make_params(std::to_string(user_id), std::move(key));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kOrderByKey, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return r.int64(0, 0);
  }

  Task<std::vector<json::object>> orders(std::int64_t user_id, std::int64_t order_id, db::Lsn after) override {
    auto params = db::make_params(std::to_string(user_id), std::to_string(order_id));
    auto r = co_await db_.query_after(sql::kOrderRows, std::move(params), after);
    std::vector<json::object> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(order_from_row(r, i));
    co_return out;
  }

 private:
  db::Cluster& db_;
};

}  // namespace

std::unique_ptr<OrderRepository> make_pg_repository(db::Cluster& db) { return std::make_unique<PgOrderRepository>(db); }

}  // namespace mc::order
