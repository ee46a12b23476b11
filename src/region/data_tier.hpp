#pragma once

// The data tier's start-up and watch: PostgreSQL (a primary and its streaming read replicas) and Redis,
// started and stopped by deploy/local/services — which also says where each server is (`services layout`),
// so the region never works out a replica's port or directory itself — then the migration and the seed;
// after that, about once a second, the primary's view of its replicas and the restart of a dead one, like
// a managed database service recovering a failed host. State: the layout, each replica's postmaster and
// since when it is down, the primary's last answer, the restart running in the background, and whether the
// data tier was started (and so must be stopped).

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <functional>

#include "region/events.hpp"
#include "region/ha_tier.hpp"
#include "region/layout.hpp"
#include "region/network.hpp"
#include "region/region.hpp"
#include "region/replicas.hpp"

namespace mc::region {

// A host the data tier needs in netns mode: its name, its role for the security groups (pg | redis), its zone.
struct DataHost {
  std::string name;
  std::string role;
  std::string zone;
};

class DataTier {
 public:
  // `o` and `log` outlive the data tier; its directories are read when it is asked.
  DataTier(const RegionOptions& o, EventLog& log) : o_(o), log_(log) {}

  // Asks deploy/local/services where each server is (again after place(): netns ports and addresses).
  std::optional<std::string> read_layout();
  // netns mode: the hosts to make (after read_layout). The single tier lives in zone c; the replicated one
  // over the zones (ha_tier.hpp: data_zone_of). A Sentinel shares its zone's Redis host.
  std::vector<DataHost> hosts() const;
  // netns mode: each server on its own host. `hosts` (name -> address and namespace) is written to
  // STATE/data-hosts for deploy/local/services; `allow` is the region's address block, which PostgreSQL
  // lets in (the security groups decide who of it reaches the servers).
  std::optional<std::string> place(const std::vector<NetHost>& hosts, const std::string& allow);
  // What the instances (and migrate and seed) are told: the primary, the replicas and Redis.
  std::map<std::string, std::string> env() const;
  // Starts PostgreSQL and Redis, migrates and seeds; `env` is what migrate and seed run with.
  std::optional<std::string> start(const std::map<std::string, std::string>& env);
  // About once a second (see data_tier.cpp); `stopping`: no replica is started again. `cut_off(zone)`: the
  // zone is partitioned (netns `fail-az`): its servers are not asked.
  void watch(bool stopping, const std::function<bool(const std::string&)>& cut_off);

  // Whether `region kill NAME` is the data tier's: replica-N, and in the replicated tier db-primary,
  // redis-primary and every node by name.
  bool is_data_node(const std::string& name) const;
  std::string kill(const std::string& name);
  // The servers in `zone` (netns mode), a Sentinel by its own name.
  std::vector<std::string> in_zone(const std::string& zone) const;
  // The replicated tier's view (nullptr: the single tier).
  const HaTier* ha() const { return ha_ ? &*ha_ : nullptr; }

  std::vector<DbServer> servers() const;
  // "primary + 2 read replicas".
  std::string summary() const;
  bool redis_up() const;
  std::string redis_address() const { return layout_.redis.host + ":" + std::to_string(layout_.redis.port); }

  void stop();

 private:
  using Clock = std::chrono::steady_clock;
  // A read replica as the region keeps it: where it is, its postmaster, and since when it has been down.
  struct Replica {
    DataServer server;
    pid_t pid = -1;                               // its postmaster, -1 when not running
    std::optional<Clock::time_point> down_since;  // down, or up again but not streaming yet
    Clock::time_point next_start{};               // the earliest time to start it again
  };

  std::vector<std::string> services_command(const std::string& verb) const;
  std::string kill_replica(const std::string& name);
  void restart(const std::vector<std::string>& due, Clock::time_point now);
  void reap_restarter(Clock::time_point now);
  std::string conninfo(const DataServer& s) const;
  int pg_port() const { return hosts_file_.empty() ? o_.pg_port : kPgPort; }
  int redis_port() const { return hosts_file_.empty() ? o_.redis_port : kRedisPort; }
  bool streaming(const Replica& r) const;

  const RegionOptions& o_;
  EventLog& log_;
  DataLayout layout_;
  std::map<std::string, std::string> address_of_;  // netns mode: each server's address
  std::string hosts_file_;                         // netns mode: STATE/data-hosts
  std::string allow_;
  std::vector<Replica> replicas_;
  std::optional<ReplicationMonitor> monitor_;
  std::optional<HaTier> ha_;                                // the replicated tier
  std::optional<std::vector<ReplicationRow>> replication_;  // the primary's last answer; nullopt: none
  pid_t restarter_ = -1;                                    // `services start` bringing replicas back
  bool primary_seen_ = false;
  bool redis_up_ = false;  // at the last watch
  bool started_ = false;
};

}  // namespace mc::region
