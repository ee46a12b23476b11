#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "account/login_limiter.hpp"
#include "account/repository.hpp"
#include "core/expected.hpp"
#include "core/task.hpp"

namespace mc::account {

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
};

// Input rules (also the unit-tested part): an email is local@domain.tld, at most 254 bytes, no spaces;
// a password 8..128 bytes; a name 1..100 characters.
std::optional<Error> validate(const Registration& r);
std::string normalize_email(std::string_view email);  // trimmed; case kept (matching ignores it)

// argon2id (libsodium, interactive limits) on a small thread pool shared by the process, so that the I/O
// threads never spend tens of milliseconds hashing.
Task<std::string> hash_password(std::string password);
Task<bool> verify_password(std::string encoded, std::string password);

// Accounts over their storage (make_pg_repository) and the login limits (make_redis_login_limiter, see
// login_limiter.hpp), both of which it owns: nothing else uses them.
class AccountService {
 public:
  AccountService(std::unique_ptr<AccountRepository> repository, std::unique_ptr<LoginLimiter> limiter);

  Task<Expected<User, Error>> register_user(Registration r);
  // The same answer for an unknown email and a wrong password.
  Task<Expected<User, Error>> authenticate(std::string email, std::string password, std::string client);
  Task<std::optional<User>> find(std::int64_t id);

 private:
  std::unique_ptr<AccountRepository> repository_;
  std::unique_ptr<LoginLimiter> limiter_;
};

}  // namespace mc::account
