#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/task.hpp"

struct pg_result;  // libpq's PGresult; only src/db sees libpq-fe.h

namespace boost::asio {
class io_context;
}

namespace mc::db {

// Which server a query should run on. Catalog reads go to replicas; writes and read-your-writes to the primary.
enum class Role { kPrimary, kReplica };
std::string_view to_string(Role role);

// A named, parameterised SQL statement. Prepared once per connection, on first use.
struct Statement {
  std::string_view name;
  std::string_view sql;
};

using Param = std::optional<std::string>;  // nullopt is SQL NULL; values are sent in text format
using Params = std::vector<Param>;

// Params from values (strings, string_views, std::nullopt): `co_await db.query(role, stmt, make_params(id, name))`.
// Prefer it to a braced list inside coroutines: GCC 12 rejects `co_await f({a, b})` with "array used as
// initializer" (a compiler bug with initializer_list temporaries in co_await expressions).
template <class... Values>
Params make_params(Values&&... values) {
  Params params;
  params.reserve(sizeof...(values));
  (params.emplace_back(std::forward<Values>(values)), ...);
  return params;
}

// What a client is told to wait before retrying after a database error (Retry-After): a failover of the primary
// takes seconds (a new primary must be promoted and found), and retrying sooner would only fail again.
inline constexpr std::chrono::seconds kRetryAfter{2};

// A failed query or an unreachable server. `sqlstate()` is empty when the server was not reached. The
// database could not do what was asked: to a client, that is the dependency outage of core/errors.hpp.
class Error : public Unavailable {
 public:
  Error(const std::string& message, std::string sqlstate)
      : Unavailable(message, kRetryAfter), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool connection_failed() const { return sqlstate_.empty(); }

 private:
  std::string sqlstate_;
};

// The rows of one statement, in text format. Cheap to copy (shared).
class Result {
 public:
  Result() = default;
  Result(std::shared_ptr<pg_result> result, Role served_by);

  int rows() const;
  int columns() const;
  int column(std::string_view name) const;  // -1 when there is no such column
  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;  // "" for NULL
  std::int64_t int64(int row, int col) const;     // 0 for NULL
  bool boolean(int row, int col) const;           // PostgreSQL's 't'
  std::int64_t affected_rows() const;
  Role served_by() const { return served_by_; }

 private:
  std::shared_ptr<pg_result> result_;
  Role served_by_ = Role::kPrimary;
};

// A position in the primary's write-ahead log (pg_lsn "16/B374D848" as a number); 0: none.
using Lsn = std::uint64_t;
// "16/B374D848" -> 0x16B374D848; nullopt for anything else.
std::optional<Lsn> parse_lsn(std::string_view text);
std::string format_lsn(Lsn lsn);

// The PostgreSQL servers as one I/O thread sees them: a primary pool and a replica pool (possibly empty),
// each a few non-blocking libpq connections in pipeline mode, driven by that thread's io_context.
// Not thread-safe: create one per I/O thread.
class Cluster {
 public:
  virtual ~Cluster() = default;

  // Runs `stmt` on a server of `role`. Replica reads go round robin over the replicas in rotation (reachable and
  // not lagging: DbConfig::max_replica_lag_bytes / max_replica_lag, checked every replica_check_interval) and
  // fall back to the primary when there is none; `Result::served_by()` says where it ran. Throws db::Error.
  virtual Task<Result> query(Role role, const Statement& stmt, Params params = {}) = 0;

  // Read-your-writes: a replica read that must see everything up to `min_lsn` (a write's position) runs on
  // a replica in rotation whose last checked replay position is at least `min_lsn`, else on the primary.
  // Positions are as fresh as the last check: right after a write, and before the first check after start,
  // the primary answers. min_lsn 0 is an ordinary replica read.
  virtual Task<Result> query_after(const Statement& stmt, Params params, Lsn min_lsn) = 0;

  // The primary's current WAL position (after a write: a position every later read must have seen).
  virtual Task<Lsn> primary_lsn() = 0;

  // One round trip to the primary (`SELECT 1`); false when it does not answer within `within` (or the query
  // timeout, if shorter). Giving up does not reset the connection: only the query timeout does that.
  virtual Task<bool> ping_primary(std::chrono::milliseconds within) = 0;

  // Number of replicas in rotation: reachable and not lagging.
  virtual std::size_t healthy_replicas() const = 0;

  // Closes every connection; pending queries fail with db::Error.
  virtual void close() = 0;
};

std::unique_ptr<Cluster> make_cluster(boost::asio::io_context& io, const DbConfig& config);

}  // namespace mc::db
