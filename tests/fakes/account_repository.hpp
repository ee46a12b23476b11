#pragma once

// Accounts in memory, as the users table keeps them: ids from 1, one account per email whatever its
// capitalisation.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "account/repository.hpp"

namespace mc::fakes {

class AccountRepository final : public account::AccountRepository {
 public:
  std::map<std::int64_t, account::Credentials> users;
  int writes = 0;

  Task<std::optional<std::int64_t>> insert_user(std::string email, std::string name,
                                                std::string password_hash) override {
    if (by_email(email)) co_return std::nullopt;
    ++writes;
    const std::int64_t id = static_cast<std::int64_t>(users.size()) + 1;
    users[id] = account::Credentials{account::User{id, std::move(email), std::move(name)}, std::move(password_hash)};
    co_return id;
  }
  Task<std::optional<account::Credentials>> credentials(std::string email) override { co_return by_email(email); }
  Task<std::optional<account::User>> user(std::int64_t id) override {
    auto it = users.find(id);
    if (it == users.end()) co_return std::nullopt;
    co_return it->second.user;
  }

 private:
  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  }
  std::optional<account::Credentials> by_email(const std::string& email) const {
    for (const auto& [id, c] : users) {
      if (lower(c.user.email) == lower(email)) return c;
    }
    return std::nullopt;
  }
};

}  // namespace mc::fakes
