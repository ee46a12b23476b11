#include "order/order.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <map>
#include <set>

#include "cart/cart.hpp"
#include "catalog/service.hpp"
#include "core/text.hpp"
#include "db/database.hpp"

namespace mc::order {
namespace json = boost::json;

namespace {

bool only(std::string_view s, std::string_view allowed_punctuation) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || allowed_punctuation.find(c) != std::string_view::npos;
  });
}

Error invalid(std::string field, std::string message) {
  return Error{Error::Code::kInvalidInput, std::move(message), std::move(field), "", 0};
}

std::string string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

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

OrderService::OrderService(std::unique_ptr<OrderRepository> repository, session::SessionStore& sessions,
                           catalog::CatalogService& catalog)
    : repository_(std::move(repository)), sessions_(sessions), catalog_(catalog) {}

Task<std::vector<Address>> OrderService::addresses(std::int64_t user_id, db::Lsn after) {
  return repository_->addresses(user_id, after);
}

Task<Expected<Address, Error>> OrderService::add_address(std::int64_t user_id, Address a) {
  if (auto bad = validate(a)) co_return Unexpected(std::move(*bad));
  const bool first = (co_await repository_->addresses(user_id, kOnThePrimary)).empty();
  auto id = co_await repository_->insert_address(user_id, a);
  if (!id) co_return Unexpected(invalid("addresses", "an account keeps at most 20 addresses"));
  a.id = *id;
  // The first address is the default too.
  if (a.is_default || first) {
    co_await repository_->make_default(user_id, a.id);
    a.is_default = true;
  }
  co_return a;
}

Task<Expected<Address, Error>> OrderService::update_address(std::int64_t user_id, std::int64_t id, Address a) {
  if (auto bad = validate(a)) co_return Unexpected(std::move(*bad));
  if (!co_await repository_->update_address(user_id, id, a)) {
    co_return Unexpected(Error{Error::Code::kNotFound, "no such address", "", "", 0});
  }
  a.id = id;
  if (a.is_default) co_await repository_->make_default(user_id, id);
  const auto all = co_await repository_->addresses(user_id, kOnThePrimary);
  for (const auto& saved : all) {
    if (saved.id == id) co_return saved;
  }
  co_return a;
}

Task<bool> OrderService::delete_address(std::int64_t user_id, std::int64_t id) {
  return repository_->delete_address(user_id, id);
}

Task<Expected<Placed, Error>> OrderService::checkout(session::Session& s, std::int64_t address_id, std::string key) {
  if (!valid_idempotency_key(key)) {
    co_return Unexpected(invalid("Idempotency-Key", "send an Idempotency-Key header of 1 to 100 characters"));
  }
  // The lines and the cart's version in one read: checkouts that race for the same cart take the same
  // version, and the database lets one of them make the order (one cart, one order).
  auto cart = co_await sessions_.snapshot(s);
  std::vector<session::CartLine> lines;
  std::set<std::int64_t> products;
  for (auto& l : cart.lines) {
    if (l.qty < 1 || l.qty > cart::kMaxLineQty || l.sku.empty() || !only(l.sku, "-")) continue;
    if (auto id = cart::product_id_of(l.sku)) products.insert(*id);
    lines.push_back(std::move(l));
  }
  if (lines.empty()) {
    // A retry of an order that emptied the cart still answers with that order.
    if (auto found = co_await repository_->order_by_key(s.user_id, key)) {
      auto existing = co_await order(s.user_id, *found, kOnThePrimary);
      if (existing) co_return Placed{std::move(*existing), false};
    }
    co_return Unexpected(Error{Error::Code::kEmptyCart, "the cart is empty", "", "", 0});
  }
  auto placement = co_await repository_->place_order(s.user_id, std::move(key), address_id, std::move(lines),
                                                     std::move(cart.version));
  switch (placement.outcome) {
    case Placement::Outcome::kNoAddress:
      co_return Unexpected(invalid("address_id", "no such address in this account"));
    case Placement::Outcome::kInsufficientStock:
      co_return Unexpected(Error{
          Error::Code::kInsufficientStock,
          fmt::format("only {} of {} left; change the quantity and try again", placement.available, placement.sku), "",
          placement.sku, placement.available});
    case Placement::Outcome::kCreated:
    case Placement::Outcome::kExisting:
      break;
  }
  const bool created = placement.outcome == Placement::Outcome::kCreated;
  if (created) {
    co_await sessions_.clear_cart(s);
    std::vector<std::int64_t> changed(products.begin(), products.end());
    co_await catalog_.forget_products(std::move(changed), placement.written);
  }
  auto placed = co_await order(s.user_id, placement.order_id, kOnThePrimary);
  if (!placed) throw std::runtime_error("place_order: the order is not there");
  // The order that exists took this very cart, which is still here: the first attempt's clear did not happen
  // (the session store failed over, or did not confirm it, after the order was made). The retry finishes the
  // first attempt's work; otherwise the shopper's next checkout would order these lines again.
  if (!created && placement.same_cart) co_await sessions_.clear_cart(s);
  co_return Placed{std::move(*placed), created, placement.written};
}

Task<std::vector<json::object>> OrderService::orders(std::int64_t user_id, db::Lsn after) {
  return repository_->orders(user_id, 0, after);
}

Task<std::optional<json::object>> OrderService::order(std::int64_t user_id, std::int64_t id, db::Lsn after) {
  auto found = co_await repository_->orders(user_id, id, after);
  if (found.empty()) co_return std::nullopt;
  co_return std::move(found.front());
}

}  // namespace mc::order
