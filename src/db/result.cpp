#include <libpq-fe.h>

#include <charconv>
#include <cstdio>

#include "db/database.hpp"

namespace mc::db {

std::string_view to_string(Role role) { return role == Role::kPrimary ? "primary" : "replica"; }

std::optional<Lsn> parse_lsn(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size() || slash > 8 ||
      text.size() - slash - 1 > 8) {
    return std::nullopt;
  }
  std::uint64_t hi = 0, lo = 0;
  const auto* end_hi = text.data() + slash;
  const auto* end_lo = text.data() + text.size();
  if (std::from_chars(text.data(), end_hi, hi, 16).ptr != end_hi) return std::nullopt;
  if (std::from_chars(end_hi + 1, end_lo, lo, 16).ptr != end_lo) return std::nullopt;
  return (hi << 32) | lo;
}

std::string format_lsn(Lsn lsn) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%X/%X", static_cast<unsigned>(lsn >> 32),
                              static_cast<unsigned>(lsn & 0xffffffffu));
  return std::string(buf, static_cast<std::size_t>(n));
}

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
