#pragma once

// The region's database servers: the PostgreSQL primary and its streaming read replicas (made by
// deploy/local/services, which says where each is: layout.hpp). The data tier looks
// at the primary's pg_stat_replication about once a second to report each replica's state and lag, and
// at each replica's postmaster to notice one that died, like a managed service would.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/blocking.hpp"
#include "region/layout.hpp"

namespace mc::region {

// How long a dead replica stays dead before the region starts it again (a managed service's recovery).
inline constexpr std::chrono::seconds kReplicaRestartDelay{3};

// The primary's view of its replicas. application_name is the replica's cluster_name ("replica-n");
// the lag is how far its replay is behind the primary's current WAL position (NULL before it replayed).
inline constexpr std::string_view kSelectReplication = R"(
  SELECT application_name, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint
  FROM pg_stat_replication)";

// One row of pg_stat_replication.
struct ReplicationRow {
  std::string name;
  std::string state;  // startup | catchup | streaming | backup | stopping
  std::optional<std::int64_t> lag_bytes;
};

// One database server as `region status` reports it.
struct DbServer {
  std::string name;  // "primary", "replica-1" ...
  std::string role;  // "primary" | "replica"
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool up = false;
  // primary: "serving" or "unreachable"; replica: pg_stat_replication's state ("streaming", "catchup" ...),
  // "down" (its postmaster is gone), "not streaming" (running, but the primary does not list it) or
  // "unknown" (the primary did not answer).
  std::string state;
  std::optional<std::int64_t> lag_bytes;  // the primary: 0; a replica: only when the primary lists it
  pid_t pid = -1;                         // a replica's postmaster, -1 when it is not running
};

// The servers of a region laid out as `layout`: the primary first, then its replicas in order. `rows` is
// the primary's pg_stat_replication (nullopt: the primary did not answer); `postmasters[i]` is the running
// postmaster of layout.replicas[i] (-1: none). A replica the primary does not list is not up; when the
// primary lists it more than once (an old connection not yet gone), the streaming one with the least lag wins.
std::vector<DbServer> db_servers(const DataLayout& layout, const std::optional<std::vector<ReplicationRow>>& rows,
                                 const std::vector<pid_t>& postmasters);

// "0 B", "512 B", "12.0 kB", "3.4 MB", "1.2 GB" (powers of 1024).
std::string format_bytes(std::int64_t bytes);

// The pid on the first line of a postmaster.pid file; nullopt when it has none.
std::optional<pid_t> parse_postmaster_pid(std::string_view file_text);

// The postmaster running in `data_dir`: the pid in its postmaster.pid when that process is alive (not a
// zombie) and is a postgres; nullopt otherwise (never started, stopped, or crashed).
std::optional<pid_t> running_postmaster(const std::string& data_dir);

// Whether `pid` is a live process (not a zombie).
bool process_alive(pid_t pid);

// The live child processes of `pid` (for a postmaster: its backends and background workers).
std::vector<pid_t> children_of(pid_t pid);

// Looks at pg_stat_replication through one blocking connection to the primary, kept open between looks
// and made again when it fails. Each look is bounded (connect_timeout, statement_timeout) so that the
// supervisor's loop, which calls it, is never held up for long.
class ReplicationMonitor {
 public:
  // `primary` is a libpq connection string; the timeouts are added to it.
  explicit ReplicationMonitor(const std::string& primary);

  // The rows, or nullopt when the primary did not answer (why: last_error()).
  std::optional<std::vector<ReplicationRow>> look();
  const std::string& last_error() const { return last_error_; }
  void close() { conn_.reset(); }

 private:
  std::string conninfo_;
  std::optional<db::BlockingConnection> conn_;
  std::string last_error_;
};

}  // namespace mc::region
