#pragma once

#include <memory>
#include <string>

#include "core/task.hpp"

namespace mc::redis {
class Client;
}

namespace mc::account {

// Login attempts are limited per client address (kClientAttempts attempts) and per account (kAccountAttempts
// failures) within kWindowSeconds of the first. An account's limit must not let anyone lock its owner out: a
// locked account refuses only the clients that have themselves failed on it kLockedClientFailures times, so
// the owner, from a client that has not been guessing, still gets in with the right password. An attacker is
// slowed to kLockedClientFailures guesses per client per window.
inline constexpr int kAccountAttempts = 5;
inline constexpr int kClientAttempts = 30;
inline constexpr int kLockedClientFailures = 2;
inline constexpr int kWindowSeconds = 15 * 60;

// The counters behind those limits, shared by every instance. A limiter that cannot tell (its store is
// down) lets the attempt through: a login must not depend on it.
class LoginLimiter {
 public:
  virtual ~LoginLimiter() = default;
  // Counts an attempt from `client`; true when it is one more than kClientAttempts in the window.
  virtual Task<bool> client_over_limit(std::string client) = 0;
  // True when `account` (the lower-cased email) failed kAccountAttempts times in the window and `client`
  // failed on it kLockedClientFailures times.
  virtual Task<bool> locked_for(std::string account, std::string client) = 0;
  virtual Task<void> failed(std::string account, std::string client) = 0;
  // A successful login forgets the account's failures (and this client's on it).
  virtual Task<void> succeeded(std::string account, std::string client) = 0;
};

// Counters in Redis: mc:rl:login:client:{addr}, mc:rl:login:account:{email} and
// mc:rl:login:pair:{email}|{addr}, each expiring kWindowSeconds after its first attempt.
std::unique_ptr<LoginLimiter> make_redis_login_limiter(std::shared_ptr<redis::Client> client);

}  // namespace mc::account
