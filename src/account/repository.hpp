#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/task.hpp"

namespace mc::db {
class Cluster;
}

namespace mc::account {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string name;
};

// A user as stored, with the argon2id hash of their password.
struct Credentials {
  User user;
  std::string password_hash;
};

// Where accounts live. Every read and write is on the primary; emails match ignoring case. Throws
// db::Error when the database cannot answer.
class AccountRepository {
 public:
  virtual ~AccountRepository() = default;
  // The new user's id; nullopt when an account with this email (in any capitalisation) exists.
  virtual Task<std::optional<std::int64_t>> insert_user(std::string email, std::string name,
                                                        std::string password_hash) = 0;
  virtual Task<std::optional<Credentials>> credentials(std::string email) = 0;
  virtual Task<std::optional<User>> user(std::int64_t id) = 0;
};

std::unique_ptr<AccountRepository> make_pg_repository(db::Cluster& db);

}  // namespace mc::account
