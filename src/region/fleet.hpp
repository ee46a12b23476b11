#pragma once

// The fleet: the `myclothes serve` instances, kept like an auto-scaling group keeps its own — a desired
// count spread over the zones, each launch into the zone with the fewest (zone_for_launch, region.hpp), an
// instance that dies replaced, scale-in by draining the newest in the zone with the most, a failed zone's
// instances killed and their replacements placed elsewhere, a restored zone rebalanced. Instances join and
// leave the load balancer through LoadBalancer. State: the instances (each with its pid, state, load
// balancer status and request rate), the zones and which have failed, the desired count, the launch counter
// that numbers the ids (i-a1, i-b2 ...) and the environment every instance starts with.
// fleet.cpp: launching, draining, reaping and stopping instances; placement.cpp: the verbs that change where
// they run (scale, fail-az, restore-az).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "region/events.hpp"
#include "region/load_balancer.hpp"
#include "region/region.hpp"

namespace mc::region {

enum class State { kStarting, kInService, kDraining, kTerminated };

std::string_view name_of(State s);

struct Instance {
  std::string id;
  std::string az;
  std::string address;  // where it listens: 127.0.0.1 (loopback) or its host's address (netns)
  std::uint16_t port = 0;
  pid_t pid = -1;
  State state = State::kStarting;
  bool in_lb = false;
  std::string lb_status = "-";
  std::int64_t total = 0;
  double rps = 0;
  std::chrono::steady_clock::time_point died{};  // when a crash was noticed (kTerminated while still in the LB)
  std::chrono::steady_clock::time_point launched{};
  std::optional<std::chrono::steady_clock::time_point> lb_down_since;  // HAProxy has seen it DOWN since
};

class Network;

class Fleet {
 public:
  // `o`, `lb` and `log` outlive the fleet.
  Fleet(const RegionOptions& o, LoadBalancer& lb, EventLog& log);

  // netns mode: every instance gets a host of its own in its zone (set before start; outlives the fleet).
  void place_on(Network* network) { net_ = network; }

  // Launches the region's --instances with `env` (where the data tier is, and the instances' settings).
  std::optional<std::string> start(std::map<std::string, std::string> env);

  // Once a second, from the supervisor's loop: crashed instances noticed, taken out of the load balancer
  // once HAProxy has seen them down, and replaced; a running instance that HAProxy has seen DOWN for
  // kUnhealthyAfter (out of the launch grace) is terminated and replaced, as an auto-scaling group does
  // with an instance that fails the load balancer's health checks (a cut-off zone's, a hung one) — unless
  // none passes them: then a dependency they share is down, and replacing would empty the fleet.
  void reap_crashed();
  void deregister_dead();
  void replace_unhealthy();
  void replace_missing();
  // Each instance's load balancer status and request rate (over `elapsed` seconds; 0: the rate stays).
  void refresh_stats(double elapsed = 0);

  // The verbs; each answers the line `region VERB` prints.
  std::string kill(const std::string& id);
  std::string scale(const std::string& arg);
  // `partition`: the zone is cut off (netns) and its instances keep running until the health checks have
  // them replaced; otherwise (loopback) they are killed.
  std::string fail_zone(const std::string& zone, bool partition);
  std::string restore_zone(const std::string& zone);

  // Every instance drained in parallel (SIGTERM) and stopped.
  void stop();

  const std::vector<Instance>& instances() const { return instances_; }
  const std::vector<std::string>& zones() const { return zones_; }
  const std::set<std::string>& failed_zones() const { return failed_zones_; }
  int desired() const { return desired_; }

 private:
  std::optional<std::string> launch(const std::string& zone);
  void deregister(Instance& inst);
  void retire(Instance& inst);
  // SIGKILL, like a crashed machine: waited for and marked terminated (it stays in the load balancer until
  // deregister_dead); returns the pid it had.
  pid_t crash(Instance& inst);
  Instance* find(const std::string& id);
  // Terminated instances out of the load balancer are forgotten and their hosts given back.
  void forget_terminated();
  int live_count() const;
  std::map<std::string, int> zone_counts() const;

  const RegionOptions& o_;
  LoadBalancer& lb_;
  EventLog& log_;
  Network* net_ = nullptr;
  std::map<std::string, std::string> env_;
  std::vector<std::string> zones_;
  std::set<std::string> failed_zones_;
  std::vector<Instance> instances_;
  int desired_ = 0;
  int launched_ = 0;
  bool fleet_down_noted_ = false;  // "every instance fails its checks" said once
};

}  // namespace mc::region
