#pragma once

// Addresses and orders in memory, with place_order's rules (db/migrations/0004_one_cart_one_order.sql): a
// user's key places one order, and so does a user's cart version; the address must be the user's; lines are checked in
// SKU order against `stock` and nothing changes when one cannot be filled; a new order takes the stock and the prices
// of now.

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "order/repository.hpp"

namespace mc::fakes {

class OrderRepository final : public order::OrderRepository {
 public:
  struct Order {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string key;
    order::Address address;
    std::vector<session::CartLine> lines;
    std::int64_t total = 0;
    std::string cart_version;
  };

  std::map<std::int64_t, std::vector<order::Address>> addresses_of;  // by user, in id order
  std::map<std::string, int> stock;                                  // by SKU; a SKU not here does not exist
  std::map<std::string, std::int64_t> prices;                        // by SKU (KRW)
  std::vector<Order> placed;
  db::Lsn next_lsn = 0x16B374D848;  // the position a new order reports
  db::Lsn read_after = 0;           // what the last read was asked to see
  int place_calls = 0;
  std::vector<session::CartLine> last_lines;  // what the last place_order was asked for
  std::string last_cart_version;

  Task<std::vector<order::Address>> addresses(std::int64_t user_id, db::Lsn after) override {
    read_after = after;
    auto out = addresses_of[user_id];
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.is_default > b.is_default; });
    co_return out;
  }
  Task<std::optional<std::int64_t>> insert_address(std::int64_t user_id, order::Address a) override {
    auto& list = addresses_of[user_id];
    if (static_cast<int>(list.size()) >= order::kMaxAddresses) co_return std::nullopt;
    a.id = ++last_address_;
    a.is_default = false;
    list.push_back(std::move(a));
    co_return last_address_;
  }
  Task<bool> update_address(std::int64_t user_id, std::int64_t id, order::Address a) override {
    auto* saved = find_address(user_id, id);
    if (!saved) co_return false;
    a.id = id;
    a.is_default = saved->is_default;
    *saved = std::move(a);
    co_return true;
  }
  Task<bool> delete_address(std::int64_t user_id, std::int64_t id) override {
    auto& list = addresses_of[user_id];
    const auto before = list.size();
    std::erase_if(list, [id](const auto& a) { return a.id == id; });
    co_return list.size() != before;
  }
  Task<void> make_default(std::int64_t user_id, std::int64_t id) override {
    for (auto& a : addresses_of[user_id]) a.is_default = a.id == id;
    co_return;
  }

  Task<order::Placement> place_order(std::int64_t user_id, std::string key, std::int64_t address_id,
                                     std::vector<session::CartLine> lines, std::string cart_version) override {
    ++place_calls;
    last_lines = lines;
    last_cart_version = cart_version;
    order::Placement out;
    auto id = find_order(user_id, key);
    for (const auto& o : placed) {
      if (!id && !cart_version.empty() && o.user_id == user_id && o.cart_version == cart_version) id = o.id;
    }
    if (id) {
      out.outcome = order::Placement::Outcome::kExisting;
      out.order_id = *id;
      for (const auto& o : placed) {
        if (o.id == *id) out.same_cart = !cart_version.empty() && o.cart_version == cart_version;
      }
      co_return out;
    }
    const auto* address = find_address(user_id, address_id);
    if (!address) co_return out;  // kNoAddress
    std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.sku < b.sku; });
    for (const auto& l : lines) {
      auto it = stock.find(l.sku);
      const int available = it == stock.end() ? 0 : it->second;
      if (available < l.qty) {
        out.outcome = order::Placement::Outcome::kInsufficientStock;
        out.sku = l.sku;
        out.available = available;
        co_return out;
      }
    }
    Order o{static_cast<std::int64_t>(placed.size()) + 1,
            user_id,
            std::move(key),
            *address,
            lines,
            0,
            std::move(cart_version)};
    for (const auto& l : lines) {
      stock[l.sku] -= l.qty;
      o.total += prices[l.sku] * l.qty;
    }
    placed.push_back(std::move(o));
    out.outcome = order::Placement::Outcome::kCreated;
    out.order_id = placed.back().id;
    out.written = next_lsn;
    co_return out;
  }
  Task<std::optional<std::int64_t>> order_by_key(std::int64_t user_id, std::string key) override {
    co_return find_order(user_id, key);
  }
  Task<std::vector<boost::json::object>> orders(std::int64_t user_id, std::int64_t order_id, db::Lsn after) override {
    read_after = after;
    std::vector<boost::json::object> out;
    for (auto it = placed.rbegin(); it != placed.rend(); ++it) {
      if (it->user_id == user_id && (order_id == 0 || it->id == order_id)) out.push_back(to_json(*it));
    }
    co_return out;
  }

 private:
  order::Address* find_address(std::int64_t user_id, std::int64_t id) {
    for (auto& a : addresses_of[user_id]) {
      if (a.id == id) return &a;
    }
    return nullptr;
  }
  std::optional<std::int64_t> find_order(std::int64_t user_id, const std::string& key) const {
    for (const auto& o : placed) {
      if (o.user_id == user_id && o.key == key) return o.id;
    }
    return std::nullopt;
  }
  boost::json::object to_json(const Order& o) {
    boost::json::array items;
    for (const auto& l : o.lines) {
      items.push_back(boost::json::object{{"sku", l.sku}, {"qty", l.qty}, {"unit_price", prices[l.sku]}});
    }
    return boost::json::object{{"id", o.id},
                               {"status", "placed"},
                               {"total", o.total},
                               {"currency", "KRW"},
                               {"address", boost::json::object{{"recipient", o.address.recipient}}},
                               {"items", std::move(items)}};
  }

  std::int64_t last_address_ = 0;
};

}  // namespace mc::fakes
