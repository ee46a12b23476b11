#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/task.hpp"
#include "db/database.hpp"
#include "session/session.hpp"

namespace mc::order {

struct Address {
  std::int64_t id = 0;
  std::string recipient;
  std::string line1;
  std::string line2;
  std::string city;
  std::string postal_code;
  std::string country = "KR";  // ISO 3166-1 alpha-2
  std::string phone;
  bool is_default = false;
};

// How many addresses an account keeps (sql::kInsertAddress).
inline constexpr int kMaxAddresses = 20;

// What place_order did.
struct Placement {
  enum class Outcome {
    kCreated,            // stock decremented, the order inserted
    kExisting,           // this user placed an order with this key before: that order, nothing changed
    kNoAddress,          // the address is not this user's; nothing changed
    kInsufficientStock,  // a line cannot be filled; nothing changed
  };
  Outcome outcome = Outcome::kNoAddress;
  std::int64_t order_id = 0;  // kCreated, kExisting
  std::string sku;            // kInsufficientStock: the first line (in SKU order) that cannot be filled
  int available = 0;          // kInsufficientStock: how many of it there are
  db::Lsn written = 0;        // kCreated: a WAL position at or after the order's commit
  bool same_cart = false;     // kExisting: that order was made from this very cart version
};

// Where addresses and orders live. Writes go to the primary; the reads take `after`, a WAL position the
// server must have replayed (0: any replica; db::Cluster::query_after). Throws db::Error when the database
// cannot answer.
class OrderRepository {
 public:
  virtual ~OrderRepository() = default;

  // The user's addresses, the default first.
  virtual Task<std::vector<Address>> addresses(std::int64_t user_id, db::Lsn after) = 0;
  // The new address's id (it is not made the default here); nullopt when the user keeps kMaxAddresses.
  virtual Task<std::optional<std::int64_t>> insert_address(std::int64_t user_id, Address a) = 0;
  // The fields of `a` (not its id or is_default) into address `id`; false when it is not the user's.
  virtual Task<bool> update_address(std::int64_t user_id, std::int64_t id, Address a) = 0;
  virtual Task<bool> delete_address(std::int64_t user_id, std::int64_t id) = 0;
  // Address `id` becomes the user's one default, in one step.
  virtual Task<void> make_default(std::int64_t user_id, std::int64_t id) = 0;

  // Checkout of `lines` (valid SKUs, quantities 1..99, distinct SKUs) to the user's address, in one
  // transaction on the primary; a user's key places at most one order, and so does a user's `cart_version`
  // (the version of the cart the lines come from; empty: none): a second one answers kExisting with the first.
  virtual Task<Placement> place_order(std::int64_t user_id, std::string key, std::int64_t address_id,
                                      std::vector<session::CartLine> lines, std::string cart_version) = 0;
  // The order this user placed with `key`, if any (primary).
  virtual Task<std::optional<std::int64_t>> order_by_key(std::int64_t user_id, std::string key) = 0;
  // The user's orders as the API's Order objects, newest first, at most 50; order_id != 0: only that one.
  virtual Task<std::vector<boost::json::object>> orders(std::int64_t user_id, std::int64_t order_id, db::Lsn after) = 0;
};

std::unique_ptr<OrderRepository> make_pg_repository(db::Cluster& db);

}  // namespace mc::order
