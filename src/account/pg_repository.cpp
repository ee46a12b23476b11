#include "account/repository.hpp"
#include "account/sql.hpp"
#include "db/database.hpp"

namespace mc::account {
namespace {

class PgAccountRepository final : public AccountRepository {
 public:
  explicit PgAccountRepository(db::Cluster& db) : db_(db) {}

  Task<std::optional<std::int64_t>> insert_user(std::string email, std::string name,
                                                std::string password_hash) override {
    auto params = db::make_params(std::move(email), std::move(name), std::move(password_hash));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kInsertUser, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return r.int64(0, 0);
  }

  Task<std::optional<Credentials>> credentials(std::string email) override {
    auto params = db::make_params(std::move(email));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kUserByEmail, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return Credentials{User{r.int64(0, 0), std::string(r.text(0, 1)), std::string(r.text(0, 2))},
                          std::string(r.text(0, 3))};
  }

  Task<std::optional<User>> user(std::int64_t id) override {
    auto params = db::make_params(std::to_string(id));
    auto r = co_await db_.query(db::Role::kPrimary, sql::kUserById, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return User{r.int64(0, 0), std::string(r.text(0, 1)), std::string(r.text(0, 2))};
  }

 private:
  db::Cluster& db_;
};

}  // namespace

std::unique_ptr<AccountRepository> make_pg_repository(db::Cluster& db) {
  return std::make_unique<PgAccountRepository>(db);
}

}  // namespace mc::account
