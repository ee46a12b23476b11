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
  std::uint16_t pg_port = 55432;
  std::uint16_t redis_port = 56379;
  int replicas = 2;  // PostgreSQL streaming read replicas on pg_port + 1 ... (0: the primary serves every read)
  int instances = 4;
  int azs = 2;  // zones a, b, c ...
  std::string session = "redis";
  bool sticky = false;
  std::chrono::seconds cookie_lifetime{24 * 3600};
  int threads = 1;            // I/O threads of each instance
  std::int64_t products = 0;  // seed this many when the catalog is empty (0: the program's default)
  bool cache = true;          // false: the instances' catalog reads skip the Redis cache (sessions still use Redis)
  std::string network = "loopback";
  bool live = true;  // redraw a status table (when stdout is a terminal); else print events only
};

// Reads a region file (deploy/local/region.toml) into `options`: [region] instances, azs, session,
// sticky, sticky_seconds, cache, network, host, port, threads, products; [data] pg_port, redis_port,
// replicas, dir; [instances] config, web_root. An unknown key or a bad value is a one-line error naming it.
std::optional<std::string> load_region_file(const std::string& path, RegionOptions& options);

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
// "fail-az AZ", "restore-az AZ", "down") to the region running in `state_dir`, prints its answer, and returns the exit
// status.
int control(const std::string& state_dir, const std::string& command);

}  // namespace mc::region
