// Mode `dynamodb`: sessions and carts on a DynamoDB table (partition key `pk`, TTL on `ttl`; ADR 18).
//
//   s#{id}        a session: u (N, the user id, 0 for a guest), ttl (N, unix seconds)
//   c#s#{id}      a guest's cart, c#u#{user} a user's: l (M, sku -> N qty), v (S, the cart's version), ttl
//
// DynamoDB deletes expired items only eventually (within days), so every read filters what has expired. A
// cart write is optimistic: read the item (strongly consistent), decide, and write it back on the condition
// that its version is still the one read (or that it is still absent) — the caps (a line's limit, the
// number of lines) hold whatever the concurrency, since no write lands on a cart that changed since its
// decision; a write that lost the race reads again. Rotation (a new id, the old gone) and the guest cart's
// merge into the user's are one transaction each (TransactWriteItems). Idle expiry slides as in Redis, but a
// read writes the new expiry only when it moved by more than a minute (a write per request costs money).
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <map>

#include "core/ids.hpp"
#include "dynamodb/client.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

namespace json = boost::json;
using dynamodb::Error;

constexpr int kMaxRaces = 8;  // a cart written this often by others between our read and write: give up (503)

std::int64_t to_int(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

json::object str(std::string_view s) { return {{"S", s}}; }
json::object num(std::int64_t n) { return {{"N", std::to_string(n)}}; }

std::int64_t number_of(const json::object& item, std::string_view name) {
  const auto* a = item.if_contains(name);
  if (!a || !a->is_object()) return 0;
  const auto* n = a->as_object().if_contains("N");
  return n && n->is_string() ? to_int(n->as_string()) : 0;
}

// A cart as read: whether its item is there (expired or not: a conditional write must know), its version,
// its lines (none when it has expired) and when it expires (0: absent).
struct Cart {
  bool exists = false;
  std::string version;
  std::map<std::string, int> lines;
  std::int64_t expires = 0;
};

class DynamodbStore final : public SessionStore {
 public:
  DynamodbStore(std::shared_ptr<dynamodb::Client> client, DynamodbSessionOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  Task<std::optional<Session>> find(std::string id) override {
    if (!valid_id(id)) co_return std::nullopt;
    auto item = co_await get(session_key(id));
    if (!item) co_return std::nullopt;
    Session found{std::move(id), number_of(*item, "u")};
    const auto expires = number_of(*item, "ttl");
    if (expires <= now()) co_return std::nullopt;  // expired, not yet deleted
    if (renew_due(expires, ttl(found))) co_await renew(session_key(found.id), ttl(found), "attribute_exists(pk)", {});
    co_return found;
  }

  Task<Session> create() override {
    Session s{new_id(), 0};
    json::object put{{"TableName", options_.table}, {"Item", session_item(s)}};
    co_await call("PutItem", std::move(put));
    co_return s;
  }

  Task<std::vector<CartLine>> cart(const Session& s) override {
    auto snap = co_await snapshot(s);
    co_return std::move(snap.lines);
  }

  Task<CartSnapshot> snapshot(const Session& s) override {
    const auto key = cart_key(s);
    Cart c = co_await read_cart(key);
    // The cart's idle expiry slides with its reads, as in Redis.
    if (!c.lines.empty() && renew_due(c.expires, ttl(s))) {
      json::object values{{":v", str(c.version)}};
      co_await renew(key, ttl(s), "v = :v", std::move(values));
    }
    co_return to_snapshot(c);
  }

  Task<AddResult> add(Session& s, std::string sku, int qty, int limit, int max_lines) override {
    const auto key = cart_key(s);
    for (int race = 0; race < kMaxRaces; ++race) {
      Cart c = co_await read_cart(key);
      const int current = c.lines.contains(sku) ? c.lines[sku] : 0;
      AddResult result;
      if (current == 0 && static_cast<int>(c.lines.size()) >= max_lines) {
        result.status = AddResult::Status::kTooManyLines;
        co_return result;
      }
      if (current + qty > limit) {
        result.status = AddResult::Status::kOverLimit;
        result.qty = current;
        co_return result;
      }
      c.lines[sku] = current + qty;
      const bool written = co_await write_cart(key, c, ttl(s));
      if (!written) continue;  // the cart changed since it was read
      result.qty = current + qty;
      result.cart = to_snapshot(c).lines;
      co_return result;
    }
    throw Unavailable(fmt::format("cart add: the cart changed {} times while it was being written", kMaxRaces));
  }

  Task<bool> set(Session& s, std::string sku, int qty) override {
    const auto key = cart_key(s);
    for (int race = 0; race < kMaxRaces; ++race) {
      Cart c = co_await read_cart(key);
      if (qty > 0) {
        c.lines[sku] = qty;
      } else {
        c.lines.erase(sku);
      }
      const bool written = co_await write_cart(key, c, ttl(s));
      if (written) co_return true;
    }
    throw Unavailable(fmt::format("cart set: the cart changed {} times while it was being written", kMaxRaces));
  }

  Task<void> clear_cart(Session& s) override {
    json::object del{{"TableName", options_.table}, {"Key", key_of(cart_key(s))}};
    co_await call("DeleteItem", std::move(del));
  }

  Task<Session> rotate(const Session& old, std::int64_t user_id) override {
    Session fresh{new_id(), user_id};
    json::array items;
    items.push_back(json::object{{"Put", {{"TableName", options_.table}, {"Item", session_item(fresh)}}}});
    items.push_back(json::object{{"Delete", {{"TableName", options_.table}, {"Key", key_of(session_key(old.id))}}}});
    json::object transaction{{"TransactItems", std::move(items)}};
    co_await call("TransactWriteItems", std::move(transaction));
    co_return fresh;
  }

  Task<void> merge_into_user(Session& guest, std::int64_t user_id, std::vector<CartLine> limits) override {
    std::map<std::string, int> limit_of;
    for (const auto& l : limits) limit_of[l.sku] = l.qty;
    const auto guest_key = cart_key(Session{guest.id, 0});
    const auto user_key = cart_key(Session{guest.id, user_id});
    for (int race = 0; race < kMaxRaces; ++race) {
      Cart from = co_await read_cart(guest_key);
      if (!from.exists) co_return;
      Cart into = co_await read_cart(user_key);
      const Cart into_read{into.exists, into.version, {}, into.expires};  // what the put's condition checks
      int merged_lines = 0;
      for (const auto& [sku, qty] : from.lines) {
        const auto it = limit_of.find(sku);
        const int merged =
            std::min((into.lines.contains(sku) ? into.lines[sku] : 0) + qty, it == limit_of.end() ? 0 : it->second);
        if (merged > 0) {
          into.lines[sku] = merged;
          ++merged_lines;
        }
      }
      json::array items;
      items.push_back(
          json::object{{"Delete", with_condition({{"TableName", options_.table}, {"Key", key_of(guest_key)}}, from)}});
      if (merged_lines > 0)
        items.push_back(json::object{{"Put", cart_put(user_key, into, options_.user_ttl, &into_read)}});
      json::object transaction{{"TransactItems", std::move(items)}};
      auto done = co_await client_->call("TransactWriteItems", std::move(transaction));
      if (done) co_return;
      if (done.error().type != "TransactionCanceledException" || !lost_race(done.error())) fail(done.error());
    }
    throw Unavailable(fmt::format("cart merge: the carts changed {} times while they were being merged", kMaxRaces));
  }

 private:
  Task<std::optional<json::object>> get(const std::string& key) {
    json::object request{{"TableName", options_.table}, {"Key", key_of(key)}, {"ConsistentRead", true}};
    auto answer = co_await call("GetItem", std::move(request));
    auto* item = answer.if_contains("Item");
    if (!item || !item->is_object()) co_return std::nullopt;
    co_return std::move(item->as_object());
  }

  Task<Cart> read_cart(const std::string& key) {
    Cart c;
    auto item = co_await get(key);
    if (!item) co_return c;
    c.exists = true;
    if (const auto* v = item->if_contains("v"); v && v->is_object() && v->as_object().contains("S")) {
      c.version = std::string(v->as_object().at("S").as_string());
    }
    c.expires = number_of(*item, "ttl");
    if (c.expires <= now()) co_return c;  // expired, not yet deleted: an empty cart that is still there
    const auto* l = item->if_contains("l");
    const auto* m = l && l->is_object() ? l->as_object().if_contains("M") : nullptr;
    if (m && m->is_object()) {
      for (const auto& [sku, qty] : m->as_object()) {
        if (qty.is_object() && qty.as_object().contains("N")) {
          c.lines[std::string(sku)] = static_cast<int>(to_int(qty.as_object().at("N").as_string()));
        }
      }
    }
    co_return c;
  }

  // Writes `c` back (or deletes it when it has no lines) if it is still the cart that was read; false when
  // it is not (someone else wrote it in between: read again).
  Task<bool> write_cart(const std::string& key, Cart& c, std::chrono::seconds ttl) {
    const Cart read{c.exists, c.version, {}, c.expires};  // what the write's condition checks
    Expected<json::object, Error> done = json::object{};
    if (c.lines.empty()) {
      if (!c.exists) co_return true;
      json::object del{{"TableName", options_.table}, {"Key", key_of(key)}};
      done = co_await client_->call("DeleteItem", with_condition(std::move(del), read));
      c.exists = false;
      c.version.clear();
    } else {
      c.version = random_token(9);
      done = co_await client_->call("PutItem", cart_put(key, c, ttl, &read));
      c.exists = true;
    }
    if (done) co_return true;
    if (done.error().type == "ConditionalCheckFailedException") co_return false;
    fail(done.error());
  }

  // A Put of cart `c` under `key`, on the condition that the item is still `read` when given.
  json::object cart_put(const std::string& key, const Cart& c, std::chrono::seconds ttl, const Cart* read = nullptr) {
    json::object lines;
    for (const auto& [sku, qty] : c.lines) lines[sku] = num(qty);
    json::object put{{"TableName", options_.table},
                     {"Item",
                      {{"pk", str(key)},
                       {"l", {{"M", std::move(lines)}}},
                       {"v", str(c.version.empty() ? random_token(9) : c.version)},
                       {"ttl", num(now() + ttl.count())}}}};
    return read ? with_condition(std::move(put), *read) : put;
  }

  // The condition that the item is as it was read: absent still, or of the version read.
  static json::object with_condition(json::object request, const Cart& read) {
    if (!read.exists) {
      request["ConditionExpression"] = "attribute_not_exists(pk)";
    } else {
      request["ConditionExpression"] = "v = :v";
      request["ExpressionAttributeValues"] = {{":v", str(read.version)}};
    }
    return request;
  }

  // A transaction cancelled only because a condition failed (a write in between), not for another reason.
  static bool lost_race(const Error& e) {
    const auto* reasons = e.body.is_object() ? e.body.as_object().if_contains("CancellationReasons") : nullptr;
    if (!reasons || !reasons->is_array()) return false;
    bool any = false;
    for (const auto& r : reasons->as_array()) {
      const auto* code = r.is_object() ? r.as_object().if_contains("Code") : nullptr;
      const std::string c = code && code->is_string() ? std::string(code->as_string()) : "None";
      if (c == "ConditionalCheckFailed")
        any = true;
      else if (c != "None")
        return false;
    }
    return any;
  }

  bool renew_due(std::int64_t expires, std::chrono::seconds ttl) const {
    const auto slack = std::min<std::int64_t>(60, std::max<std::int64_t>(ttl.count() / 10, 1));
    return now() + ttl.count() - expires > slack;
  }

  // Moves an item's expiry on; an item that changed or went meanwhile is left as it is.
  Task<void> renew(const std::string& key, std::chrono::seconds ttl, std::string condition, json::object values) {
    values[":t"] = num(now() + ttl.count());
    json::object request{{"TableName", options_.table},
                         {"Key", key_of(key)},
                         {"UpdateExpression", "SET #t = :t"},
                         {"ExpressionAttributeNames", {{"#t", "ttl"}}},
                         {"ExpressionAttributeValues", std::move(values)},
                         {"ConditionExpression", std::move(condition)}};
    auto done = co_await client_->call("UpdateItem", std::move(request));
    if (!done && done.error().type != "ConditionalCheckFailedException") fail(done.error());
  }

  Task<json::object> call(std::string_view operation, json::object body) {
    auto answer = co_await client_->call(operation, std::move(body));
    if (!answer) fail(answer.error());
    co_return std::move(*answer);
  }

  // A session store that cannot answer is an error for the request (503), never an empty cart.
  [[noreturn]] static void fail(const Error& e) { throw Unavailable(e.message); }

  json::object session_item(const Session& s) const {
    const auto ttl = s.user_id ? options_.user_ttl : options_.guest_ttl;
    return {{"pk", str(session_key(s.id))}, {"u", num(s.user_id)}, {"ttl", num(now() + ttl.count())}};
  }
  static CartSnapshot to_snapshot(const Cart& c) {
    CartSnapshot out;
    if (c.lines.empty()) return out;
    for (const auto& [sku, qty] : c.lines) out.lines.push_back(CartLine{sku, qty});
    out.version = c.version;
    return out;
  }
  static json::object key_of(const std::string& key) { return {{"pk", str(key)}}; }
  static std::string session_key(std::string_view id) { return fmt::format("s#{}", id); }
  static std::string cart_key(const Session& s) {
    return s.user_id ? fmt::format("c#u#{}", s.user_id) : fmt::format("c#s#{}", s.id);
  }
  std::chrono::seconds ttl(const Session& s) const { return s.user_id ? options_.user_ttl : options_.guest_ttl; }
  std::int64_t now() const {
    if (options_.now_seconds) return options_.now_seconds();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::shared_ptr<dynamodb::Client> client_;
  DynamodbSessionOptions options_;
};

}  // namespace

std::unique_ptr<SessionStore> make_dynamodb_store(std::shared_ptr<dynamodb::Client> client,
                                                  DynamodbSessionOptions options) {
  return std::make_unique<DynamodbStore>(std::move(client), std::move(options));
}

}  // namespace mc::session
