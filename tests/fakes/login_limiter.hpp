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
  std::map<std::string, int> pair_failures;  // "account|client"
  bool up = true;

  Task<bool> client_over_limit(std::string client) override {
    if (!up) co_return false;
    co_return ++client_attempts[client] > account::kClientAttempts;
  }
  Task<bool> locked_for(std::string account, std::string client) override {
    if (!up) co_return false;
    const auto it = account_failures.find(account);
    if (it == account_failures.end() || it->second < account::kAccountAttempts) co_return false;
    const auto pair = pair_failures.find(account + "|" + client);
    co_return pair != pair_failures.end() && pair->second >= account::kLockedClientFailures;
  }
  Task<void> failed(std::string account, std::string client) override {
    if (up) {
      ++pair_failures[account + "|" + client];
      ++account_failures[account];
    }
    co_return;
  }
  Task<void> succeeded(std::string account, std::string client) override {
    if (up) {
      pair_failures.erase(account + "|" + client);
      account_failures.erase(account);
    }
    co_return;
  }
};

}  // namespace mc::fakes
