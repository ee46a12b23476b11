#pragma once

// The load balancer's control: HAProxy as a child of the region, configured by render_config and steered
// through its runtime API (haproxy.hpp), so that instances join, drain and leave without a reload, as
// targets of a cloud load balancer do. State: the settings (with the dynamic-cookie key the region made),
// the runtime API client, HAProxy's pid, and its last `show stat`.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "region/haproxy.hpp"
#include "region/region.hpp"

namespace mc::region {

class LoadBalancer {
 public:
  // `o` outlives the load balancer; its state directory is read at start().
  explicit LoadBalancer(const RegionOptions& o);

  // netns mode: HAProxy runs on its own host (the namespace at `netns`) and listens on address:port there,
  // for the forwarder, which starts each connection with a PROXY protocol header.
  void place(const std::string& address, std::uint16_t port, const std::string& netns);
  // Writes STATE/haproxy.cfg, starts HAProxy on the region's port and waits for its runtime API.
  std::optional<std::string> start();
  // An instance joins: added (in maintenance), its health checks on, enabled; it gets traffic once healthy.
  std::optional<std::string> add(const std::string& id, const std::string& address, std::uint16_t port);
  // No new requests for it; the ones in flight finish.
  void drain(const std::string& id);
  // Out of rotation at once, its sessions shut and the server deleted; HAProxy's answer when it kept it.
  std::optional<std::string> remove(const std::string& id);

  // Reads `show stat` again; false when HAProxy did not answer (stats() stays as it was).
  bool refresh();
  const std::vector<ServerStat>& stats() const { return stats_; }
  // Requests in flight to the server `id` (0 when HAProxy does not list it).
  std::int64_t current_of(const std::string& id) const;
  std::chrono::milliseconds check_interval() const { return settings_.check_interval; }

  // True once, when HAProxy has exited by itself.
  bool exited();
  void stop();

 private:
  const RegionOptions& o_;
  LbSettings settings_;
  RuntimeApi api_;
  std::string netns_;  // empty: the machine's own namespace
  pid_t haproxy_ = -1;
  std::vector<ServerStat> stats_;
};

}  // namespace mc::region
