#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "core/expected.hpp"
#include "core/task.hpp"

namespace mc::redis {
class Client;
}
namespace mc::dynamodb {
class Client;
}

namespace mc::session {

// A session id: 256 bits from the CSPRNG, base64url without padding (43 characters).
std::string new_id();
// True only for text that new_id() could have produced; anything else (forged, truncated, too long) is
// treated as no session at all.
bool valid_id(std::string_view text);

// The session store could not answer (Redis down, timed out): the dependency outage of core/errors.hpp.
using Unavailable = mc::Unavailable;
// A write was made but too few replicas confirmed it in time: it may be lost in a failover (core/errors.hpp).
using NotConfirmed = mc::NotConfirmed;

struct Session {
  // The value of the session cookie: an id (modes sticky and redis) or the sealed state itself (cookie).
  std::string id;
  std::int64_t user_id = 0;  // 0: a guest
  // The cookie's value changed and must go back with the response (mode cookie: every change of the
  // cart re-seals it). Set by the store's writes; new and rotated sessions are always handed out.
  bool reissue = false;
};

struct CartLine {
  std::string sku;
  int qty = 0;
};

// The cart as a checkout takes it: its lines and its version — a token that every write of the cart changes,
// so two checkouts that read the same version read the same cart, and an order records the version it took
// (one cart, one order). Empty for an empty cart.
struct CartSnapshot {
  std::vector<CartLine> lines;
  std::string version;
};

// What an add did: the line's new quantity, or why nothing changed.
struct AddResult {
  enum class Status { kAdded, kOverLimit, kTooManyLines, kTooLarge };
  Status status = Status::kAdded;
  int qty = 0;                 // the line's quantity after the add (kAdded), or as it stays (kOverLimit)
                               // kTooLarge: the session would no longer fit its cookie (mode cookie)
  std::vector<CartLine> cart;  // kAdded: the whole cart after the add (saves reading it again)
};

// Where sessions and carts live: in Redis (mode `redis`), in the instance's memory (`sticky`), or sealed
// into the cookie itself (`cookie`). Guest carts belong to the session; a user's cart belongs to the user
// (in mode `cookie` there is only the cart the cookie carries). Writes take the session by reference:
// a store whose state travels in the cookie changes `id` and sets `reissue`.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // The cookie that carries the session, and how long the browser should keep it.
  virtual std::string_view cookie_name() const { return "mc_sid"; }
  virtual std::chrono::seconds cookie_max_age(const Session& s) const;

  // The session with this id (the cookie's value), its idle expiry renewed; nullopt when unknown,
  // expired, forged or malformed.
  virtual Task<std::optional<Session>> find(std::string id) = 0;
  // A new, empty guest session.
  virtual Task<Session> create() = 0;

  virtual Task<std::vector<CartLine>> cart(const Session& s) = 0;
  // The lines and the version in one read.
  virtual Task<CartSnapshot> snapshot(const Session& s) = 0;
  // Adds `qty` to the line of `sku` unless the line would exceed `limit`, or a new line would make more
  // than `max_lines` (then nothing changes). One atomic step.
  virtual Task<AddResult> add(Session& s, std::string sku, int qty, int limit, int max_lines) = 0;
  // Sets the line's quantity; 0 removes it. False: the session would no longer fit its cookie (mode
  // cookie), nothing changed.
  virtual Task<bool> set(Session& s, std::string sku, int qty) = 0;

  // Empties the session's cart (after an order took it).
  virtual Task<void> clear_cart(Session& s) = 0;

  // A new session id for `user_id` (0: a guest) in place of `old`, which stops existing: the id changes
  // at login and at logout, so an id known before either is worth nothing after it.
  virtual Task<Session> rotate(const Session& old, std::int64_t user_id) = 0;
  // Moves a guest session's cart into the user's cart in one step: quantities of the same SKU add, each
  // line capped at its `qty` in `limits` (a SKU without a limit, or with 0, is dropped).
  virtual Task<void> merge_into_user(Session& guest, std::int64_t user_id, std::vector<CartLine> limits) = 0;
};

// The store of an instance without one (no Redis): it knows no session, and anything that would need one is
// Unavailable. The store's pages still render (without a cart); the shopper's routes are not offered.
std::unique_ptr<SessionStore> make_no_store();

struct RedisSessionOptions {
  std::chrono::seconds guest_ttl{std::chrono::hours(24 * 30)};
  std::chrono::seconds user_ttl{std::chrono::hours(24 * 90)};
  // Replicas each session or cart write must reach (WAIT) before it counts as done; 0: none, the primary's
  // acknowledgement suffices. Fewer in `wait_timeout`: the write fails with NotConfirmed (core/errors.hpp).
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{300};
};

// Keys: mc:sess:{id} (hash: u = user id), mc:cart:s:{id} (a guest's cart: hash sku -> qty, and the field
// `#v`: the cart's version), mc:cart:u:{user} (a user's cart). Every read or write renews the idle expiry of
// what it touches.
std::unique_ptr<SessionStore> make_redis_store(std::shared_ptr<redis::Client> client, RedisSessionOptions options = {});

// Mode `dynamodb`: sessions and carts on a DynamoDB table (partition key `pk`, TTL on `ttl`), items
// s#{id} and c#s#{id} / c#u#{user} (dynamodb_store.cpp; ADR 18). The same behaviour as mode redis.
struct DynamodbSessionOptions {
  std::string table = "myclothes-sessions";
  std::chrono::seconds guest_ttl{std::chrono::hours(24 * 30)};
  std::chrono::seconds user_ttl{std::chrono::hours(24 * 90)};
  std::function<std::int64_t()> now_seconds;  // unix seconds; empty: the system clock (tests set a clock)
};
std::unique_ptr<SessionStore> make_dynamodb_store(std::shared_ptr<dynamodb::Client> client,
                                                  DynamodbSessionOptions options = {});

// Mode `sticky`: sessions and carts in this process's memory, shared by its I/O threads (thread-safe),
// bounded: past `max_sessions` the least recently used session and its cart are dropped. The same
// idle expiry as in Redis. Correct only behind load-balancer stickiness, and gone when the process dies.
struct MemorySessionOptions {
  std::chrono::seconds guest_ttl{std::chrono::hours(24 * 30)};
  std::chrono::seconds user_ttl{std::chrono::hours(24 * 90)};
  std::size_t max_sessions = 100'000;
  std::size_t max_user_carts = 100'000;
  // The clock idle expiry is measured with; empty: std::chrono::steady_clock::now (tests pass their own).
  std::function<std::chrono::steady_clock::time_point()> now;
};
std::shared_ptr<SessionStore> make_memory_store(MemorySessionOptions options = {});

// Mode `cookie`: the whole session sealed into the cookie mc_state with AES-256-GCM.
struct CookieKey {
  std::string id;  // 1..16 characters [A-Za-z0-9_-], travels in clear as the key id
  std::array<unsigned char, 32> key{};
};
// "id:base64url(32 bytes)" entries separated by commas; the first seals, every one opens.
Expected<std::vector<CookieKey>, std::string> parse_cookie_keys(std::string_view text);
// A fresh key entry in that format, for a region that makes its own keys.
std::string new_cookie_key(std::string_view id);

struct CookieSessionOptions {
  std::vector<CookieKey> keys;  // at least one
  std::chrono::seconds guest_ttl{std::chrono::hours(24 * 30)};
  std::chrono::seconds user_ttl{std::chrono::hours(24 * 90)};
  std::size_t max_cookie_bytes = 4096;        // name + "=" + value
  std::function<std::int64_t()> now_seconds;  // unix seconds; empty: the system clock (tests set a clock)
};
std::unique_ptr<SessionStore> make_cookie_store(CookieSessionOptions options);

}  // namespace mc::session
