#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/task.hpp"
#include "db/database.hpp"
#include "order/repository.hpp"
#include "session/session.hpp"

namespace mc::catalog {
class CatalogService;
}

namespace mc::order {

struct Error {
  enum class Code { kInvalidInput, kNotFound, kEmptyCart, kInsufficientStock };
  Code code;
  std::string message;
  std::string field;  // kInvalidInput
  std::string sku;    // kInsufficientStock: the first line that cannot be filled
  int available = 0;  // kInsufficientStock: how many there are
};

// Field rules: recipient 1..100 characters, line1 1..200, line2 ..200, city 1..100, postal code 1..20 of
// letters, digits, space and '-', country two capital letters, phone ..30 of digits, space, '+', '-'.
std::optional<Error> validate(const Address& a);
// An address from the API's JSON (missing strings are empty); `is_default` false when absent.
Address address_from_json(const boost::json::object& o);
// The text fields of an address (recipient … phone) from any source of named fields, e.g. a form.
Address address_from_fields(const std::function<std::string(std::string_view)>& field);
boost::json::object to_json(const Address& a);

// An idempotency key: 1..100 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);

struct Placed {
  boost::json::object order;  // the API's Order
  bool created = false;       // false: the same key placed it before
  db::Lsn written = 0;        // created: the primary's WAL position right after the order
};

// Addresses and checkout over their storage (make_pg_repository), which it owns: nothing else uses it.
class OrderService {
 public:
  OrderService(std::unique_ptr<OrderRepository> repository, session::SessionStore& sessions,
               catalog::CatalogService& catalog);

  // Reads of a shopper's own data: on a replica, unless the shopper wrote since `after` (a WAL position
  // from their last write; 0: none recent) and no replica has replayed that far — then on the primary.
  Task<std::vector<Address>> addresses(std::int64_t user_id, db::Lsn after = 0);
  Task<Expected<Address, Error>> add_address(std::int64_t user_id, Address a);
  Task<Expected<Address, Error>> update_address(std::int64_t user_id, std::int64_t id, Address a);
  Task<bool> delete_address(std::int64_t user_id, std::int64_t id);

  // Checkout of the session's cart: one transaction on the primary (OrderRepository::place_order), then
  // the cart is cleared and the product documents whose stock changed leave the cache.
  Task<Expected<Placed, Error>> checkout(session::Session& s, std::int64_t address_id, std::string key);

  Task<std::vector<boost::json::object>> orders(std::int64_t user_id, db::Lsn after = 0);
  Task<std::optional<boost::json::object>> order(std::int64_t user_id, std::int64_t id, db::Lsn after = 0);

 private:
  std::unique_ptr<OrderRepository> repository_;
  session::SessionStore& sessions_;
  catalog::CatalogService& catalog_;
};

}  // namespace mc::order
