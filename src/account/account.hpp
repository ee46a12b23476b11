#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/task.hpp"

namespace mc::db {
class Cluster;
}
namespace mc::redis {
class Client;
}

namespace mc::account {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string name;
};

struct Registration {
  std::string email;
  std::string password;
  std::string name;
};

struct Error {
  enum class Code { kInvalidInput, kEmailTaken, kInvalidCredentials, kTooManyAttempts };
  Code code;
  std::string message;
  std::string field;  // kInvalidInput: which one (email, password, name)
  int status() const;
  std::string_view api_code() const;  // invalid_input, email_taken, invalid_credentials, too_many_attempts
};

// Input rules (also the unit-tested part): an email is local@domain.tld, at most 254 bytes, no spaces;
// a password 8..128 bytes; a name 1..100 characters.
std::optional<Error> validate(const Registration& r);
std::string normalize_email(std::string_view email);  // trimmed; case kept (matching ignores it)

// argon2id (libsodium, interactive limits) on a small thread pool shared by the process, so that the I/O
// threads never spend tens of milliseconds hashing.
Task<std::string> hash_password(std::string password);
Task<bool> verify_password(std::string encoded, std::string password);

// Login attempts are limited per account (kAccountAttempts failures) and per client address
// (kClientAttempts attempts) within kWindow; counters live in Redis so every instance shares them.
inline constexpr int kAccountAttempts = 5;
inline constexpr int kClientAttempts = 30;
inline constexpr int kWindowSeconds = 15 * 60;

class AccountService {
 public:
  AccountService(db::Cluster& db, redis::Client& redis);

  Task<Expected<User, Error>> register_user(Registration r);
  // The same answer for an unknown email and a wrong password.
  Task<Expected<User, Error>> authenticate(std::string email, std::string password, std::string client);
  Task<std::optional<User>> find(std::int64_t id);

 private:
  Task<bool> over_limit(const std::string& key, int limit, bool count);
  Task<void> forget(const std::string& key);

  db::Cluster& db_;
  redis::Client& redis_;
};

}  // namespace mc::account
