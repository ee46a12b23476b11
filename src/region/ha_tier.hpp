#pragma once

// The replicated data tier as the region watches it (--data-tier replicated, ADR 16): pg_auto_failover's
// monitor, the HA pair db-a/db-b (a primary and its synchronous standby), the read replicas (plain hot
// standbys of whichever of the pair is primary), three Redis nodes and three Sentinels — each a process (group)
// that deploy/local/services started. About once a second it asks the monitor who is what, each Redis node
// its ROLE and each Sentinel which primary it names, and notices a process that died; the region's faults
// (`kill db-primary`, `kill redis-primary`, `kill NAME`) are SIGKILLs of a whole node, like a crashed machine.
// Failover is not the region's business: pg_auto_failover and the Sentinels do it; the region only starts a
// dead node's processes again after a while, like a replaced host, and the node rejoins by itself.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/blocking.hpp"
#include "region/events.hpp"
#include "region/layout.hpp"
#include "region/replicas.hpp"

namespace mc::region {

// How long a killed node of the replicated tier stays down before the region starts it again: longer than a
// failover takes, so that the fault shows the HA manager's work, not a quick restart.
inline constexpr std::chrono::seconds kNodeRestartDelay{15};

// The zone a data server goes to: the HA pair in a and b, the monitor in c, Redis node and Sentinel X in zone
// X, read replica n in c, a, b, c ... (spread, the first away from the primary).
std::string data_zone_of(const std::string& name);

// One row of the monitor's pgautofailover.node, as it reports it.
struct FormationRow {
  std::string name;
  std::string reported;  // pg_auto_failover's state: primary, wait_primary, secondary, catchingup, ...
  std::string goal;
  int candidate_priority = 0;
  bool replication_quorum = false;
  int health = 0;  // 1 healthy, 0 unhealthy, -1 unknown
  std::optional<std::int64_t> lag_bytes;
};

// primary | standby | replica, from what the monitor says of a node.
std::string formation_role(const FormationRow& row);

class HaTier {
 public:
  using Clock = std::chrono::steady_clock;

  // One server as the region keeps it, with what the last look saw.
  struct Node {
    DataServer server;
    std::string kind;  // monitor | node | replica | redis | sentinel
    std::string zone;
    pid_t pid = -1;  // its process (group leader for PostgreSQL nodes), -1 when not running
    std::optional<Clock::time_point> down_since;
    Clock::time_point next_start{};
    std::string role;   // PostgreSQL: primary | standby | replica | monitor; Redis: primary | replica; sentinel
    std::string state;  // pg_auto_failover's reported state; Redis: its replication link; "down"
    std::optional<std::int64_t> lag_bytes;
    bool up = false;
    std::string believes;  // a Sentinel: the primary it names (host:port), "" when it does not answer
  };

  HaTier(const DataLayout& layout, EventLog& log);

  // Looks at every node (see the top of this file). `cut_off(zone)`: the zone is partitioned (its nodes are
  // not asked, their processes still run).
  template <class CutOff>
  void look(const CutOff& cut_off) {
    for (auto& n : nodes_) n.up = !cut_off(n.zone);
    look_all();
  }
  // The nodes due to be started again (dead for kNodeRestartDelay, or kReplicaRestartDelay for read replicas).
  std::vector<std::string> due(Clock::time_point now) const;
  // After a start attempt: the next one no sooner than the delay.
  void started(Clock::time_point now);

  bool has(const std::string& name) const;
  // `db-primary`, `redis-primary` or a node's name; the message for the operator (starting "error:" when not).
  std::string kill(const std::string& target);

  const std::vector<Node>& nodes() const { return nodes_; }
  // The instances' connection settings: the HA pair as one multi-host conninfo, and the Sentinels.
  std::string primary_conninfo() const;
  std::vector<std::string> replica_conninfos() const;
  std::string sentinels() const;  // host:port,host:port,...
  // Whether the monitor answered at the last look, and the formation's primary then ("" when none).
  bool monitor_answers() const { return monitor_answers_; }
  std::string db_primary() const { return db_primary_; }
  std::string redis_primary() const { return redis_primary_; }

 private:
  void look_all();
  void look_processes(Clock::time_point now);
  void look_monitor();
  void look_replicas();
  void look_redis();
  Node* find(const std::string& name);
  std::string kill_node(Node& n, const std::string& what);

  EventLog& log_;
  std::vector<Node> nodes_;
  std::optional<db::BlockingConnection> monitor_conn_;
  std::optional<ReplicationMonitor> replication_;  // the primary's pg_stat_replication (the read replicas)
  std::string monitor_conninfo_;
  bool monitor_answers_ = false;
  bool monitor_seen_ = false;
  std::string db_primary_;
  std::string redis_primary_;
  std::optional<Clock::time_point> db_primary_lost_;     // when the last primary was seen going
  std::optional<Clock::time_point> redis_primary_lost_;  // likewise for Redis
};

}  // namespace mc::region
