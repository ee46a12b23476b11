#include <libpq-fe.h>

#include <charconv>

#include "db/database.hpp"

namespace mc::db {

std::string_view to_string(Role role) { return role == Role::kPrimary ? "primary" : "replica"; }

Result::Result(std::shared_ptr<pg_result> result, Role served_by) : result_(std::move(result)), served_by_(served_by) {}

int Result::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

int Result::columns() const { return result_ ? PQnfields(result_.get()) : 0; }

int Result::column(std::string_view name) const {
  if (!result_) return -1;
  return PQfnumber(result_.get(), std::string(name).c_str());
}

bool Result::is_null(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }

std::string_view Result::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return {PQgetvalue(result_.get(), row, col), static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
}

std::int64_t Result::int64(int row, int col) const {
  const auto t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

bool Result::boolean(int row, int col) const { return text(row, col) == "t"; }

std::int64_t Result::affected_rows() const {
  if (!result_) return 0;
  const char* n = PQcmdTuples(result_.get());
  std::int64_t v = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

}  // namespace mc::db
