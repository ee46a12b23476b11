#pragma once

// The login limits in memory, with the production limits (account/login_limiter.hpp) and a window that
// never ends. `up = false` is a limiter whose store is down: it lets every attempt through.

#include <map>
#include <string>

#include "account/login_limiter.hpp"

namespace mc::fakes {

class LoginLimiter final : public account::LoginLimiter {
 public:
  std::map<std::string, int> client_attempts;
  std::map<std::string, int> account_failures;
  bool up = true;

  Task<bool> client_over_limit(std::string client) override {
    if (!up) co_return false;
    co_return ++client_attempts[client] > account::kClientAttempts;
  }
  Task<bool> account_locked(std::string account) override {
    if (!up) co_return false;
    auto it = account_failures.find(account);
    co_return it != account_failures.end() && it->second >= account::kAccountAttempts;
  }
  Task<void> account_failed(std::string account) override {
    if (up) ++account_failures[account];
    co_return;
  }
  Task<void> account_succeeded(std::string account) override {
    if (up) account_failures.erase(account);
    co_return;
  }
};

}  // namespace mc::fakes
