#include "region/data_tier.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "region/process.hpp"

namespace mc::region {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kReplicaExitTimeout{5000};
constexpr milliseconds kRestarterGrace{60000};

}  // namespace

std::string DataTier::conninfo(const DataServer& s) const {
  return fmt::format("host={} port={} dbname=myclothes user=myclothes", s.host, s.port);
}

std::vector<DataHost> DataTier::hosts() const {
  std::vector<DataHost> out;
  if (!layout_.replicated) {
    out.push_back({layout_.primary.name, "pg", kDataZone});
    for (const auto& r : layout_.replicas) out.push_back({r.name, "pg", kDataZone});
    out.push_back({layout_.redis.name, "redis", kDataZone});
    return out;
  }
  out.push_back({layout_.monitor.name, "pg", data_zone_of(layout_.monitor.name)});
  for (const auto* group : {&layout_.nodes, &layout_.replicas}) {
    for (const auto& s : *group) out.push_back({s.name, "pg", data_zone_of(s.name)});
  }
  for (const auto& s : layout_.redis_nodes) out.push_back({s.name, "redis", data_zone_of(s.name)});
  return out;
}

std::optional<std::string> DataTier::place(const std::vector<NetHost>& hosts, const std::string& allow) {
  hosts_file_ = o_.state_dir + "/data-hosts";
  allow_ = allow;
  std::ofstream out(hosts_file_);
  out << "# NAME NAMESPACE ADDRESS: where deploy/local/services runs each server (written by region up)\n";
  for (const auto& h : hosts) {
    out << h.name << ' ' << h.netns << ' ' << h.address << '\n';
    address_of_[h.name] = h.address;
  }
  if (!out) return fmt::format("cannot write {}", hosts_file_);
  return std::nullopt;
}

std::optional<std::string> DataTier::read_layout() {
  const auto text = output_of(services_command("layout"));
  if (!text) return fmt::format("{} layout did not answer (above)", o_.services);
  auto layout = parse_layout(*text);
  if (!layout) return fmt::format("{} layout: {}", o_.services, layout.error());
  if (static_cast<int>(layout->replicas.size()) != o_.replicas) {
    return fmt::format("{} layout lists {} replicas, not the {} asked for", o_.services, layout->replicas.size(),
                       o_.replicas);
  }
  layout_ = std::move(*layout);
  // netns mode: each server at its host's address; a Sentinel at its zone's Redis host.
  auto locate = [&](DataServer& server) {
    auto host = server.name;
    if (host.starts_with("sentinel-")) host = "redis-" + host.substr(9);
    if (address_of_.contains(host)) server.host = address_of_.at(host);
  };
  for (auto* server : {&layout_.primary, &layout_.redis, &layout_.monitor}) locate(*server);
  for (auto* group : {&layout_.replicas, &layout_.nodes, &layout_.redis_nodes, &layout_.sentinels}) {
    for (auto& server : *group) locate(server);
  }
  replicas_.clear();
  ha_.reset();
  if (layout_.replicated) {
    ha_.emplace(layout_, log_);
  } else {
    for (const auto& server : layout_.replicas) replicas_.push_back(Replica{.server = server});
  }
  return std::nullopt;
}

std::map<std::string, std::string> DataTier::env() const {
  std::map<std::string, std::string> env;
  if (ha_) {
    env["MYCLOTHES_DB_PRIMARY"] = ha_->primary_conninfo();
    env["MYCLOTHES_DB_REPLICAS"] = fmt::format("{}", fmt::join(ha_->replica_conninfos(), ","));
    env["MYCLOTHES_REDIS_SENTINELS"] = ha_->sentinels();
    env["MYCLOTHES_REDIS_MASTER_NAME"] = "myclothes";
    env["MYCLOTHES_REDIS_HOST"] = layout_.redis.host;
    env["MYCLOTHES_REDIS_PORT"] = std::to_string(layout_.redis.port);
    return env;
  }
  env["MYCLOTHES_DB_PRIMARY"] = conninfo(layout_.primary);
  env["MYCLOTHES_REDIS_HOST"] = layout_.redis.host;
  env["MYCLOTHES_REDIS_PORT"] = std::to_string(layout_.redis.port);
  // Catalog reads go to the replicas (set even when empty: an inherited list would point elsewhere).
  std::vector<std::string> replicas;
  for (const auto& r : replicas_) replicas.push_back(conninfo(r.server));
  env["MYCLOTHES_DB_REPLICAS"] = fmt::format("{}", fmt::join(replicas, ","));
  return env;
}

std::optional<std::string> DataTier::start(const std::map<std::string, std::string>& env) {
  for (const auto& r : replicas_) {
    if (r.server.port > 65535) {
      return fmt::format("--pg-port {} leaves no room for {} replicas on the ports after it", o_.pg_port, o_.replicas);
    }
  }
  // A replica that is not ours yet must find its port free (one of ours may still run from before); in
  // netns mode each has a host of its own.
  for (std::size_t i = 0; i < replicas_.size() && hosts_file_.empty(); ++i) {
    const auto& r = replicas_[i].server;
    if (!running_postmaster(r.dir) && port_open(static_cast<std::uint16_t>(r.port))) {
      return fmt::format("port {} ({}: --pg-port + {}) is already in use; pick another --pg-port", r.port, r.name,
                         i + 1);
    }
  }
  EventLog::step(fmt::format("Starting PostgreSQL ({}) and Redis", summary()));
  const std::string& data = o_.data_dir;
  started_ = true;
  if (region::run(services_command("start"), {}) != 0) {
    return fmt::format("the data tier did not start; read {}/pg.log, {}/replica-N.log and {}/redis/redis.log", data,
                       data, data);
  }
  if (!ha_) monitor_.emplace(conninfo(layout_.primary));
  watch(false, [](const std::string&) { return false; });
  EventLog::step("Migrating the database");
  if (region::run({o_.program, "migrate", "--dir", o_.migrations}, env) != 0)
    return std::string("migrate failed (above)");
  EventLog::step("Seeding the catalog when it is empty");
  std::vector<std::string> seed{o_.program, "seed", "--if-empty"};
  if (o_.products > 0) {
    seed.emplace_back("--products");
    seed.push_back(std::to_string(o_.products));
  }
  if (region::run(seed, env) != 0) return std::string("seed failed (above)");
  return std::nullopt;
}

std::string DataTier::summary() const {
  if (o_.data_tier == DataTierMode::kReplicated) {
    return fmt::format(
        "primary + synchronous standby (pg_auto_failover) + {} read replica{}, Redis + 2 replicas + 3 "
        "Sentinels",
        o_.replicas, o_.replicas == 1 ? "" : "s");
  }
  if (o_.replicas == 0) return "primary, no read replicas";
  return fmt::format("primary + {} read replica{}", o_.replicas, o_.replicas == 1 ? "" : "s");
}

std::vector<std::string> DataTier::services_command(const std::string& verb) const {
  std::vector<std::string> argv{o_.services,    verb,
                                "--state",      o_.data_dir,
                                "--pg-port",    std::to_string(pg_port()),
                                "--redis-port", std::to_string(redis_port()),
                                "--replicas",   std::to_string(o_.replicas),
                                "--data-tier",  std::string(to_string(o_.data_tier))};
  if (!hosts_file_.empty()) {
    for (const auto& a : {"--hosts", hosts_file_.c_str(), "--allow", allow_.c_str()}) argv.emplace_back(a);
  }
  return argv;
}

bool DataTier::streaming(const Replica& r) const {
  if (!replication_) return false;
  return std::any_of(replication_->begin(), replication_->end(),
                     [&](const ReplicationRow& row) { return row.name == r.server.name && row.state == "streaming"; });
}

std::vector<DbServer> DataTier::servers() const {
  if (ha_) {
    std::vector<DbServer> out;
    for (const auto& n : ha_->nodes()) {
      if (n.kind != "node" && n.kind != "replica") continue;
      out.push_back(DbServer{.name = n.server.name,
                             .role = n.role.empty() ? (n.kind == "node" ? "standby" : "replica") : n.role,
                             .host = n.server.host,
                             .port = static_cast<std::uint16_t>(n.server.port),
                             .up = n.up,
                             .state = n.state.empty() ? "unknown" : n.state,
                             .lag_bytes = n.lag_bytes,
                             .pid = n.pid});
    }
    return out;
  }
  std::vector<pid_t> pids;
  for (const auto& r : replicas_) pids.push_back(r.pid);
  return db_servers(layout_, replication_, pids);
}

bool DataTier::redis_up() const { return redis_up_; }

std::vector<std::string> DataTier::in_zone(const std::string& zone) const {
  std::vector<std::string> out;
  if (ha_) {
    for (const auto& n : ha_->nodes()) {
      if (n.zone == zone) out.push_back(n.server.name);
    }
  } else if (zone == kDataZone) {
    for (const auto& h : hosts()) out.push_back(h.name);
  }
  return out;
}

bool DataTier::is_data_node(const std::string& name) const {
  if (ha_) return ha_->has(name);
  return std::any_of(replicas_.begin(), replicas_.end(), [&](const Replica& r) { return r.server.name == name; });
}

std::string DataTier::kill(const std::string& name) {
  if (ha_) return ha_->kill(name);
  return kill_replica(name);
}

// The primary's view of the replicas, which replicas' postmasters live, and the restart of the dead ones.
// A replica that died is started again after kReplicaRestartDelay by running the services script's
// (idempotent) start, like a managed database service recovering a failed host; the script runs in the
// background so the loop goes on meanwhile.
void DataTier::watch(bool stopping, const std::function<bool(const std::string&)>& cut_off) {
  const auto now = Clock::now();
  if (ha_) {
    ha_->look(cut_off);
    redis_up_ = !ha_->redis_primary().empty();
    reap_restarter(now);
    if (restarter_ > 0 || stopping) return;
    restart(ha_->due(now), now);
    return;
  }
  redis_up_ = port_open(static_cast<std::uint16_t>(layout_.redis.port), layout_.redis.host);
  if (monitor_) {
    const bool answered = replication_.has_value();
    replication_ = monitor_->look();
    if (answered && !replication_) {
      log_.event(fmt::format("warning: the PostgreSQL primary does not answer: {}", monitor_->last_error()));
    } else if (!answered && replication_ && primary_seen_) {
      log_.event("the PostgreSQL primary answers again");
    }
    primary_seen_ = primary_seen_ || replication_.has_value();
  }
  for (auto& r : replicas_) {
    r.pid = running_postmaster(r.server.dir).value_or(-1);
    if (r.pid < 0 && !r.down_since) {
      r.down_since = now;
      r.next_start = now + kReplicaRestartDelay;
      log_.event(
          fmt::format("{} is down (no postmaster); the instances take it out of their rotation, the region "
                      "starts it again in {} s",
                      r.server.name, kReplicaRestartDelay.count()));
    } else if (r.down_since && r.pid > 0 && streaming(r)) {
      log_.event(fmt::format("{} is back: streaming from the primary again ({:.1f} s after it went down)",
                             r.server.name, std::chrono::duration<double>(now - *r.down_since).count()));
      r.down_since.reset();
    }
  }
  reap_restarter(now);
  if (restarter_ > 0 || stopping) return;
  std::vector<std::string> due;
  for (const auto& r : replicas_) {
    if (r.pid < 0 && r.down_since && now >= r.next_start) due.push_back(r.server.name);
  }
  restart(due, now);
}

// The services script's start, which is idempotent, brings back whatever is down; it runs in the background.
void DataTier::reap_restarter(Clock::time_point now) {
  if (restarter_ <= 0) return;
  auto status = reap(restarter_);
  if (!status) return;
  restarter_ = -1;
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    log_.event(
        fmt::format("warning: starting the data tier's servers again failed; read {}/logs/services.log. "
                    "Trying again in {} s",
                    o_.state_dir, kReplicaRestartDelay.count()));
  }
  for (auto& r : replicas_) r.next_start = now + kReplicaRestartDelay;
  if (ha_) ha_->started(now);
}

void DataTier::restart(const std::vector<std::string>& due, Clock::time_point now) {
  if (due.empty()) return;
  restarter_ = spawn(services_command("start"), {}, o_.state_dir + "/logs/services.log");
  if (restarter_ < 0) {
    log_.event(fmt::format("warning: cannot run {}: {}", o_.services, std::strerror(errno)));
    for (auto& r : replicas_) r.next_start = now + kReplicaRestartDelay;
    if (ha_) ha_->started(now);
    return;
  }
  log_.event(fmt::format("starting {} again ({} start; log {}/logs/services.log)", fmt::join(due, ", "), o_.services,
                         o_.state_dir));
}

// SIGKILL of its postmaster, like a crashed database host. Returns once the postmaster is dead and its
// processes (which notice that by themselves) have gone with it.
std::string DataTier::kill_replica(const std::string& name) {
  auto it = std::find_if(replicas_.begin(), replicas_.end(), [&](const Replica& r) { return r.server.name == name; });
  Replica& r = *it;
  const auto pid = running_postmaster(r.server.dir);
  if (!pid) {
    return fmt::format("error: {} is not running (it is down; the region starts it again by itself)\n", name);
  }
  const auto children = children_of(*pid);
  ::kill(*pid, SIGKILL);
  const auto until = Clock::now() + kReplicaExitTimeout;
  while (process_alive(*pid) && Clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  if (process_alive(*pid)) return fmt::format("error: {} (pid {}) survived SIGKILL\n", name, *pid);
  while (Clock::now() < until &&
         std::any_of(children.begin(), children.end(), [](pid_t c) { return process_alive(c); })) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const auto now = Clock::now();
  r.pid = -1;
  if (!r.down_since) r.down_since = now;
  r.next_start = now + kReplicaRestartDelay;
  log_.event(fmt::format("killed {} (postmaster pid {}) with SIGKILL, like a crashed database host", name, *pid));
  return fmt::format(
      "region: killed {} (postmaster pid {}, port {}) with SIGKILL, like a crashed database host; the instances "
      "take it out of their rotation and the region starts it again in about {} s\n",
      name, *pid, r.server.port, kReplicaRestartDelay.count());
}

void DataTier::stop() {
  if (restarter_ > 0) {
    // A replica being started again finishes starting first, so that the stop below finds it.
    const auto until = Clock::now() + kRestarterGrace;
    bool done = false;
    while (!(done = reap(restarter_).has_value()) && Clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    if (!done) region::stop(restarter_, milliseconds(3000));
    restarter_ = -1;
  }
  monitor_.reset();
  if (started_) {
    std::fflush(stdout);
    region::run(services_command("stop"), {});
    started_ = false;
  }
}

}  // namespace mc::region
