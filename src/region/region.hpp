#pragma once

// The local region: the whole architecture on one machine with real parts. HAProxy in front of N
// `myclothes serve` instances spread over availability zones, a PostgreSQL primary with streaming read
// replicas and Redis behind them, and a supervisor that plays the auto-scaling group (desired count, zone
// balance, replacing dead instances, draining on scale-in) and restarts a dead replica like a managed
// database service. `region up` runs in the foreground; the other verbs talk to it through a Unix socket in
// its state directory.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/settings.hpp"

namespace mc::region {
// loopback: every part on 127.0.0.1, zones are labels. netns: each host in its own network namespace, zones
// are bridges, security groups are nftables rules (network.hpp). auto: netns when the machine allows it (root,
// iproute2, nftables), loopback otherwise — and the region says which and why.
enum class NetworkMode { kAuto, kLoopback, kNetns };
// replicated: PostgreSQL under pg_auto_failover (primary in zone a, synchronous standby in b, the monitor in c,
// the read replicas over the zones) and Redis with a replica per zone and three Sentinels (ADR 16). single: one
// PostgreSQL primary with its read replicas and one Redis, the small tier for quick runs.
enum class DataTierMode { kReplicated, kSingle };
}  // namespace mc::region

template <>
struct mc::Choices<mc::region::NetworkMode> {
  static constexpr std::array<std::string_view, 3> names{"auto", "loopback", "netns"};
};
template <>
struct mc::Choices<mc::region::DataTierMode> {
  static constexpr std::array<std::string_view, 2> names{"replicated", "single"};
};

namespace mc::region {

struct RegionOptions {
  std::string state_dir = ".state/region";  // HAProxy files, logs, the control socket
  std::string data_dir;                     // PostgreSQL's and Redis's files (default: STATE/data)
  std::string program;                      // the myclothes binary the instances run
  std::string config_file;                  // passed on to every instance (optional)
  std::string web_root = "web";
  std::string migrations = "db/migrations";
  std::string services = "deploy/local/services";  // starts and stops PostgreSQL and Redis
  std::string host = "127.0.0.1";
  std::uint16_t lb_port = 8080;
  std::uint16_t pg_port = 25432;
  std::uint16_t redis_port = 26379;
  int replicas = 2;  // PostgreSQL streaming read replicas on pg_port + 1 ... (0: the primary serves every read)
  DataTierMode data_tier = DataTierMode::kReplicated;
  int instances = 4;
  int azs = 2;  // zones a, b, c ...
  SessionMode session = SessionMode::kRedis;
  bool sticky = false;
  std::chrono::seconds cookie_lifetime{24 * 3600};
  int threads = 1;            // I/O threads of each instance
  std::int64_t products = 0;  // seed this many when the catalog is empty (0: the program's default)
  bool cache = true;          // false: the instances' catalog reads skip the Redis cache (sessions still use Redis)
  NetworkMode network = NetworkMode::kAuto;
  std::string security_groups = "deploy/local/security-groups.toml";  // netns mode: the groups and their rules
  bool live = true;  // redraw a status table (when stdout is a terminal); else print events only
};

// The options by name ("region.instances", "data.replicas", "instances.web_root" ...): the keys of the
// region file's [region], [data] and [instances] tables, and what the flags of `region up` set.
settings::Table region_settings(RegionOptions& options);

// Applies the region file `file` (none when empty), then `flags` ("section.key" -> value), to `options`. An
// unknown key or a bad value is a one-line error naming it.
std::optional<std::string> load_region_options(const std::string& file, const std::map<std::string, std::string>& flags,
                                               RegionOptions& options);

// The verbs' limits, checked before anything starts.
inline constexpr int kMaxInstances = 16;
inline constexpr int kMaxZones = 6;
inline constexpr int kMaxReplicas = 5;  // read replicas (DESIGN.md: up to 5)

// Where instance number `n` (0-based, in launch order) goes when zones have `counts` instances: the zone
// with the fewest, the first such in order. Unavailable zones (failed) are absent from `counts`.
std::string zone_for_launch(const std::map<std::string, int>& counts);
// Which zone gives up an instance on scale-in: the one with the most, the last such in order.
std::string zone_for_removal(const std::map<std::string, int>& counts);

// Runs the region until Ctrl-C, SIGTERM or `region down`; returns the process exit status.
int up(const RegionOptions& options);

// Sends one command ("status", "status --json", "kill ID" (an instance, or replica-N), "scale N",
// "fail-az AZ", "restore-az AZ", "sg", "sg-check", "down") to the region running in `state_dir`, prints its
// answer, and returns the exit status: 1 when the answer's first or last line starts with "error:".
int control(const std::string& state_dir, const std::string& command);

// `region cleanup`: what a region that did not stop (a crash of its supervisor, kill -9) left in `state_dir`'s
// name — its namespaces and their processes, the machine's link, the data tier — removed. Refused while a
// region answers there.
int cleanup(const RegionOptions& options);

// `region sg` without a running region: the groups of `file`, without members.
int print_groups(const std::string& file);

// Whether a region answers on `state_dir`'s control socket.
bool region_answers(const std::string& state_dir);

}  // namespace mc::region
