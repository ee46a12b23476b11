#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/task.hpp"

namespace mc::redis {
class Client;
}

namespace mc::session {

// A session id: 256 bits from the CSPRNG, base64url without padding (43 characters).
std::string new_id();
// True only for text that new_id() could have produced; anything else (forged, truncated, too long) is
// treated as no session at all.
bool valid_id(std::string_view text);

// The session store could not answer (Redis down, timed out). Requests that need a session fail with 503.
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Session {
  std::string id;
  std::int64_t user_id = 0;  // 0: a guest
};

struct CartLine {
  std::string sku;
  int qty = 0;
};

// What an add did: the line's new quantity, or why nothing changed.
struct AddResult {
  enum class Status { kAdded, kOverLimit, kTooManyLines };
  Status status = Status::kAdded;
  int qty = 0;                 // the line's quantity after the add (kAdded), or as it stays (kOverLimit)
  std::vector<CartLine> cart;  // kAdded: the whole cart after the add (saves reading it again)
};

// Where sessions and carts live (mode `redis` now; `sticky`, `cookie` and `dynamodb` implement the same
// interface). Guest carts belong to the session; a user's cart belongs to the user.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // The session with this id, its idle expiry renewed; nullopt when unknown or expired.
  virtual Task<std::optional<Session>> find(std::string id) = 0;
  // A new, empty guest session.
  virtual Task<Session> create() = 0;

  virtual Task<std::vector<CartLine>> cart(const Session& s) = 0;
  // Adds `qty` to the line of `sku` unless the line would exceed `limit`, or a new line would make more
  // than `max_lines` (then nothing changes). One atomic step.
  virtual Task<AddResult> add(const Session& s, std::string sku, int qty, int limit, int max_lines) = 0;
  // Sets the line's quantity; 0 removes it.
  virtual Task<bool> set(const Session& s, std::string sku, int qty) = 0;

  // Empties the session's cart (after an order took it).
  virtual Task<void> clear_cart(const Session& s) = 0;

  // A new session id for `user_id` (0: a guest) in place of `old`, which stops existing: the id changes
  // at login and at logout, so an id known before either is worth nothing after it.
  virtual Task<Session> rotate(const Session& old, std::int64_t user_id) = 0;
  // Moves a guest session's cart into the user's cart in one step: quantities of the same SKU add, each
  // line capped at its `qty` in `limits` (a SKU without a limit, or with 0, is dropped).
  virtual Task<void> merge_into_user(const Session& guest, std::int64_t user_id, std::vector<CartLine> limits) = 0;
};

struct RedisSessionOptions {
  std::chrono::seconds guest_ttl{std::chrono::hours(24 * 30)};
  std::chrono::seconds user_ttl{std::chrono::hours(24 * 90)};
};

// Keys: mc:sess:{id} (hash: u = user id), mc:cart:s:{id} (a guest's cart: hash sku -> qty),
// mc:cart:u:{user} (a user's cart). Every read or write renews the idle expiry of what it touches.
std::unique_ptr<SessionStore> make_redis_store(std::shared_ptr<redis::Client> client, RedisSessionOptions options = {});

}  // namespace mc::session
