#include "region/ha_tier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <map>
#include <thread>

#include "redis/blocking.hpp"
#include "region/replicas.hpp"

namespace mc::region {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kAskTimeout{200};    // one question to one Redis node or Sentinel
constexpr milliseconds kKillTimeout{5000};  // for a killed node's processes to be gone
constexpr const char* kMasterName = "myclothes";

// The monitor's view of the formation; the lag is each node's distance behind the primary's last reported
// position (what the keepers report about once a second).
constexpr std::string_view kSelectFormation = R"(
  WITH p AS (SELECT max(reportedlsn) AS lsn FROM pgautofailover.node
             WHERE reportedstate IN ('primary', 'wait_primary', 'single', 'join_primary', 'apply_settings'))
  SELECT nodename, reportedstate::text, goalstate::text, candidatepriority, replicationquorum, health,
         pg_wal_lsn_diff(p.lsn, reportedlsn)::bigint
  FROM pgautofailover.node, p ORDER BY nodeid)";

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Where a node's process id is: deploy/local/services writes it there when it starts the node.
std::string pid_file(const HaTier::Node& n) {
  if (n.kind == "redis") return n.server.dir + "/redis.pid";
  if (n.kind == "sentinel") return n.server.dir + "/sentinel.pid";
  if (n.kind == "replica") return n.server.dir + "/pgdata/postmaster.pid";  // a plain standby: its postmaster
  return n.server.dir + "/node.pgid";  // a node of the formation: pg_autoctl's process group
}

// Whether a node is a process group (a node of the formation: pg_autoctl and the postgres it supervises).
bool is_group(const HaTier::Node& n) { return n.kind == "monitor" || n.kind == "node"; }

pid_t running_pid(const HaTier::Node& n) {
  if (n.kind == "replica") return running_postmaster(n.server.dir + "/pgdata").value_or(-1);
  const auto text = read_first_line(pid_file(n));
  pid_t pid = -1;
  try {
    pid = static_cast<pid_t>(std::stol(text));
  } catch (const std::exception&) {
    return -1;
  }
  return pid > 1 && process_alive(pid) ? pid : -1;
}

bool group_gone(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

std::string address(const DataServer& s) { return fmt::format("{}:{}", s.host, s.port); }

}  // namespace

std::string data_zone_of(const std::string& name) {
  if (name == "db-a") return "a";
  if (name == "db-b") return "b";
  if (name == "db-monitor") return "c";
  for (const char* prefix : {"redis-", "sentinel-"}) {
    const std::string p(prefix);
    if (name.starts_with(p) && name.size() == p.size() + 1) return name.substr(p.size());
  }
  if (name.starts_with("replica-")) {
    int n = 1;
    try {
      n = std::stoi(name.substr(8));
    } catch (const std::exception&) {
    }
    static constexpr const char* kOrder[] = {"c", "a", "b"};
    return kOrder[(std::max(n, 1) - 1) % 3];
  }
  return "c";
}

std::string formation_role(const FormationRow& row) {
  static const std::vector<std::string> kPrimaryStates{"single",       "primary",        "wait_primary",
                                                       "join_primary", "apply_settings", "prepare_maintenance"};
  if (std::find(kPrimaryStates.begin(), kPrimaryStates.end(), row.reported) != kPrimaryStates.end()) return "primary";
  return row.candidate_priority > 0 ? "standby" : "replica";
}

HaTier::HaTier(const DataLayout& layout, EventLog& log) : log_(log) {
  auto add = [&](const DataServer& s, const char* kind) {
    nodes_.push_back(Node{.server = s, .kind = kind, .zone = data_zone_of(s.name)});
  };
  add(layout.monitor, "monitor");
  for (const auto& s : layout.nodes) add(s, "node");
  for (const auto& s : layout.replicas) add(s, "replica");
  for (const auto& s : layout.redis_nodes) add(s, "redis");
  for (const auto& s : layout.sentinels) add(s, "sentinel");
  replication_.emplace(fmt::format("{} dbname=myclothes", primary_conninfo()));
  monitor_conninfo_ = fmt::format(
      "host={} port={} dbname=pg_auto_failover user=autoctl_node connect_timeout=1 application_name=myclothes-region "
      "options='-c statement_timeout=1000' tcp_user_timeout=1000 keepalives=1 keepalives_idle=1 keepalives_interval=1 "
      "keepalives_count=1",
      layout.monitor.host, layout.monitor.port);
}

bool HaTier::has(const std::string& name) const {
  return name == "db-primary" || name == "redis-primary" ||
         std::any_of(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.server.name == name; });
}

HaTier::Node* HaTier::find(const std::string& name) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.server.name == name; });
  return it == nodes_.end() ? nullptr : &*it;
}

std::string HaTier::primary_conninfo() const {
  std::vector<std::string> hosts;
  std::vector<std::string> ports;
  for (const auto& n : nodes_) {
    if (n.kind != "node") continue;
    hosts.push_back(n.server.host);
    ports.push_back(std::to_string(n.server.port));
  }
  // Whichever of the pair takes writes; a node that does not answer within 2 s is passed over.
  return fmt::format(
      "host={} port={} dbname=myclothes user=myclothes target_session_attrs=read-write connect_timeout=2",
      fmt::join(hosts, ","), fmt::join(ports, ","));
}

std::vector<std::string> HaTier::replica_conninfos() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) {
    if (n.kind == "replica") {
      out.push_back(fmt::format("host={} port={} dbname=myclothes user=myclothes connect_timeout=2", n.server.host,
                                n.server.port));
    }
  }
  return out;
}

std::string HaTier::sentinels() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) {
    if (n.kind == "sentinel") out.push_back(address(n.server));
  }
  return fmt::format("{}", fmt::join(out, ","));
}

void HaTier::look_all() {
  look_processes(Clock::now());
  look_monitor();
  look_replicas();
  look_redis();
}

// The read replicas are plain standbys (not nodes of the formation): the primary's pg_stat_replication says
// whether each streams and how far behind it is.
void HaTier::look_replicas() {
  const auto rows = db_primary_.empty() ? std::nullopt : replication_->look();
  for (auto& n : nodes_) {
    if (n.kind != "replica") continue;
    n.role = "replica";
    n.lag_bytes.reset();
    if (n.pid < 0) continue;
    if (!rows) {
      n.state = "unknown (no primary)";  // it still answers reads
      continue;
    }
    n.state = "not streaming";
    for (const auto& row : *rows) {
      if (row.name != n.server.name) continue;
      if (n.state == "streaming" && row.state != "streaming") continue;  // an old connection not gone yet
      n.state = row.state;
      n.lag_bytes = row.lag_bytes;
    }
  }
}

void HaTier::look_processes(Clock::time_point now) {
  for (auto& n : nodes_) {
    n.pid = running_pid(n);
    if (n.pid > 0 && n.down_since) {
      log_.event(fmt::format("{} is running again ({:.1f} s after it went down); it rejoins by itself", n.server.name,
                             std::chrono::duration<double>(now - *n.down_since).count()));
      n.down_since.reset();
    }
    if (n.pid < 0) {
      n.up = false;
      n.state = "down";
      if (n.kind == "redis") n.role.clear();  // not known until it is back (a primary comes back a replica)
      if (!n.down_since) {
        n.down_since = now;
        n.next_start = now + (n.kind == "replica" ? std::chrono::seconds(kReplicaRestartDelay) : kNodeRestartDelay);
        log_.event(fmt::format("{} ({}) is down: no process; the region starts it again in {} s", n.server.name, n.kind,
                               std::chrono::duration_cast<std::chrono::seconds>(n.next_start - now).count()));
      }
    }
  }
}

void HaTier::look_monitor() {
  Node* monitor = find("db-monitor");
  const bool reachable = monitor != nullptr && monitor->up;
  std::vector<FormationRow> rows;
  bool answered = false;
  if (reachable) {
    try {
      if (!monitor_conn_) {
        auto opened = db::BlockingConnection::open(monitor_conninfo_);
        if (opened) monitor_conn_.emplace(std::move(*opened));
      }
      if (monitor_conn_) {
        const auto r = monitor_conn_->exec(kSelectFormation);
        for (int i = 0; i < r.rows(); ++i) {
          FormationRow row{.name = std::string(r.text(i, 0)),
                           .reported = std::string(r.text(i, 1)),
                           .goal = std::string(r.text(i, 2)),
                           .candidate_priority = static_cast<int>(r.int64(i, 3)),
                           .replication_quorum = r.boolean(i, 4),
                           .health = static_cast<int>(r.int64(i, 5))};
          if (!r.is_null(i, 6)) row.lag_bytes = std::max<std::int64_t>(0, r.int64(i, 6));
          rows.push_back(std::move(row));
        }
        answered = true;
      }
    } catch (const db::Error&) {
      monitor_conn_.reset();  // the next look connects again
    }
  }
  if (monitor != nullptr) {
    monitor->role = "monitor";
    if (monitor->pid > 0) monitor->state = answered ? "serving" : "unreachable";
    monitor->up = answered;
  }
  if (monitor_answers_ && !answered) {
    log_.event("warning: pg_auto_failover's monitor does not answer: no failover can happen until it is back");
  }
  if (!monitor_answers_ && answered && monitor_seen_) log_.event("pg_auto_failover's monitor answers again");
  monitor_answers_ = answered;
  monitor_seen_ = monitor_seen_ || answered;
  if (!answered) return;

  std::string primary;
  for (const auto& row : rows) {
    Node* n = find(row.name);
    if (n == nullptr) continue;
    n->role = formation_role(row);
    if (n->pid > 0) {
      n->state = row.reported == row.goal ? row.reported : fmt::format("{} -> {}", row.reported, row.goal);
      n->up = n->up && row.health != 0;
    }
    n->lag_bytes = row.lag_bytes;
    if (n->role == "primary" && n->pid > 0 && row.health != 0) primary = row.name;
  }
  const auto now = Clock::now();
  if (primary != db_primary_) {
    if (primary.empty()) {
      db_primary_lost_ = now;
      log_.event(fmt::format("warning: no PostgreSQL primary (was {}): writes wait for pg_auto_failover", db_primary_));
    } else if (!db_primary_.empty() || db_primary_lost_) {
      log_.event(fmt::format("{} is the PostgreSQL primary now{}{}", primary,
                             db_primary_.empty() ? std::string() : fmt::format(" (was {})", db_primary_),
                             db_primary_lost_
                                 ? fmt::format(", {:.1f} s after the last one was lost",
                                               std::chrono::duration<double>(now - *db_primary_lost_).count())
                                 : std::string()));
      db_primary_lost_.reset();
    }
    db_primary_ = primary;
  }
}

void HaTier::look_redis() {
  std::map<std::string, int> named;  // host:port -> Sentinels naming it
  for (auto& n : nodes_) {
    if (n.kind != "sentinel") continue;
    n.role = "sentinel";
    n.believes.clear();
    if (n.pid < 0 || !n.up) continue;
    auto reply = redis::blocking_command(n.server.host, n.server.port,
                                         {"SENTINEL", "get-master-addr-by-name", kMasterName}, kAskTimeout);
    if (!reply || reply->type != redis::Reply::Type::kArray || reply->elements.size() != 2) {
      n.up = false;
      n.state = "unreachable";
      continue;
    }
    n.state = "serving";
    n.believes = reply->elements[0].str + ":" + reply->elements[1].str;
    ++named[n.believes];
  }
  for (auto& n : nodes_) {
    if (n.kind != "redis" || n.pid < 0) continue;
    if (!n.up) {
      n.state = "unreachable";
      continue;
    }
    auto reply = redis::blocking_command(n.server.host, n.server.port, {"ROLE"}, kAskTimeout);
    if (!reply || reply->type != redis::Reply::Type::kArray || reply->elements.empty()) {
      n.up = false;
      n.state = "unreachable";
      continue;
    }
    const auto& role = reply->elements[0].str;
    if (role == "master") {
      n.role = "primary";
      n.state = fmt::format("{} replicas", reply->elements.size() > 2 ? reply->elements[2].elements.size() : 0);
      n.lag_bytes = 0;
    } else {
      n.role = "replica";
      // ROLE of a replica: "slave", host, port, link state, offset.
      n.state = reply->elements.size() > 3 ? reply->elements[3].str : role;
      n.lag_bytes.reset();
    }
  }
  // The primary is the one most Sentinels name (a majority of them, as their quorum decides).
  std::string primary;
  for (const auto& [addr, count] : named) {
    if (count * 2 > static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                                   [](const Node& n) { return n.kind == "sentinel"; }))) {
      for (const auto& n : nodes_) {
        if (n.kind == "redis" && address(n.server) == addr) primary = n.server.name;
      }
    }
  }
  const auto now = Clock::now();
  auto* node = find(primary);
  const bool alive = node != nullptr && node->pid > 0 && node->role == "primary";
  if (!alive && !redis_primary_.empty() && !redis_primary_lost_) {
    redis_primary_lost_ = now;
    log_.event(fmt::format("warning: the Redis primary {} is gone: the Sentinels elect another", redis_primary_));
  }
  if (alive && primary != redis_primary_) {
    log_.event(fmt::format("{} is the Redis primary now{}{}", primary,
                           redis_primary_.empty() ? std::string() : fmt::format(" (was {})", redis_primary_),
                           redis_primary_lost_
                               ? fmt::format(", {:.1f} s after the last one was lost",
                                             std::chrono::duration<double>(now - *redis_primary_lost_).count())
                               : std::string()));
  }
  if (alive) {
    redis_primary_ = primary;
    redis_primary_lost_.reset();
  }
}

std::vector<std::string> HaTier::due(Clock::time_point now) const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) {
    if (n.pid < 0 && n.down_since && now >= n.next_start) out.push_back(n.server.name);
  }
  return out;
}

void HaTier::started(Clock::time_point now) {
  for (auto& n : nodes_) {
    if (n.pid < 0) n.next_start = now + kReplicaRestartDelay;
  }
}

std::string HaTier::kill_node(Node& n, const std::string& what) {
  const pid_t pid = running_pid(n);
  if (pid < 0) return fmt::format("error: {} is not running (the region starts it again by itself)\n", n.server.name);
  const bool group = is_group(n);
  // A PostgreSQL node is pg_autoctl's process group and its postmaster, which runs in a session of its own
  // (postgres calls setsid), with the postmaster's children: all of them die, as on a crashed machine.
  std::vector<pid_t> others;
  if (group) {
    if (auto postmaster = running_postmaster(n.server.dir + "/pgdata")) others.push_back(*postmaster);
  }
  for (const auto p : std::vector<pid_t>(others.empty() ? std::vector<pid_t>{pid} : others)) {
    for (const auto c : children_of(p)) others.push_back(c);
  }
  ::kill(group ? -pid : pid, SIGKILL);
  for (const auto p : others) ::kill(p, SIGKILL);
  const auto until = Clock::now() + kKillTimeout;
  auto gone = [&] {
    if (group && !group_gone(pid)) return false;
    if (!group && process_alive(pid)) return false;
    return std::none_of(others.begin(), others.end(), [](pid_t c) { return process_alive(c); });
  };
  while (!gone() && Clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  if (!gone()) return fmt::format("error: {} (pid {}) survived SIGKILL\n", n.server.name, pid);
  const auto now = Clock::now();
  n.pid = -1;
  n.up = false;
  n.state = "down";
  n.down_since = now;
  n.next_start = now + (n.kind == "replica" ? std::chrono::seconds(kReplicaRestartDelay) : kNodeRestartDelay);
  const auto delay = std::chrono::duration_cast<std::chrono::seconds>(n.next_start - now).count();
  log_.event(fmt::format("killed {}{} (pid {}) with SIGKILL, like a crashed machine", n.server.name, what, pid));
  std::string next;
  if (n.kind == "node" && n.role == "primary") {
    next = "pg_auto_failover promotes the standby (about 10 s); writes answer 503 meanwhile, reads go on";
  } else if (n.kind == "redis" && n.role == "primary") {
    next = "the Sentinels promote a replica (about 3 s)";
  } else if (n.kind == "monitor") {
    next = "the pair keeps serving, but no failover can happen until it is back";
  } else {
    next = "the others go on without it";
  }
  return fmt::format(
      "region: killed {}{} ({}, pid {}) with SIGKILL, like a crashed machine; {}; the region starts it "
      "again in about {} s and it rejoins by itself\n",
      n.server.name, what, address(n.server), pid, next, delay);
}

std::string HaTier::kill(const std::string& target) {
  std::string name = target;
  std::string what;
  if (target == "db-primary") {
    if (db_primary_.empty()) return "error: no PostgreSQL primary is known right now (see `region status`)\n";
    name = db_primary_;
    what = ", the PostgreSQL primary,";
  } else if (target == "redis-primary") {
    if (redis_primary_.empty()) return "error: no Redis primary is known right now (see `region status`)\n";
    name = redis_primary_;
    what = ", the Redis primary,";
  }
  Node* n = find(name);
  if (n == nullptr) return fmt::format("error: no data node {}\n", target);
  return kill_node(*n, what);
}

}  // namespace mc::region
