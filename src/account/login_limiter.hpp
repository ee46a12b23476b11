#pragma once

#include <memory>
#include <string>

#include "core/task.hpp"

namespace mc::redis {
class Client;
}

namespace mc::account {

// Login attempts are limited per account (kAccountAttempts failures) and per client address
// (kClientAttempts attempts) within kWindowSeconds of the first.
inline constexpr int kAccountAttempts = 5;
inline constexpr int kClientAttempts = 30;
inline constexpr int kWindowSeconds = 15 * 60;

// The counters behind those limits, shared by every instance. A limiter that cannot tell (its store is
// down) lets the attempt through: a login must not depend on it.
class LoginLimiter {
 public:
  virtual ~LoginLimiter() = default;
  // Counts an attempt from `client`; true when it is one more than kClientAttempts in the window.
  virtual Task<bool> client_over_limit(std::string client) = 0;
  // True when `account` (the lower-cased email) failed kAccountAttempts times in the window.
  virtual Task<bool> account_locked(std::string account) = 0;
  virtual Task<void> account_failed(std::string account) = 0;
  // A successful login forgets the account's failures.
  virtual Task<void> account_succeeded(std::string account) = 0;
};

// Counters in Redis: mc:rl:login:client:{addr} and mc:rl:login:account:{email}, each expiring
// kWindowSeconds after its first attempt.
std::unique_ptr<LoginLimiter> make_redis_login_limiter(std::shared_ptr<redis::Client> client);

}  // namespace mc::account
