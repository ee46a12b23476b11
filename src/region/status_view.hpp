#pragma once

// The status view: `region status` (a table), `region status --json`, and the live table a terminal
// redraws once a second with the recent events. It keeps no state of its own: it renders a RegionView,
// the parts' state as the supervisor hands it over when asked.

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "region/events.hpp"
#include "region/fleet.hpp"
#include "region/ha_tier.hpp"
#include "region/network.hpp"
#include "region/region.hpp"
#include "region/replicas.hpp"

namespace mc::region {

struct RegionView {
  const RegionOptions& options;
  const std::vector<Instance>& instances;
  const std::vector<std::string>& zones;
  const std::set<std::string>& failed_zones;
  int desired = 0;
  std::vector<DbServer> db;  // the primary first, then the replicas
  bool redis_up = false;
  std::string redis_address;     // host:port
  const HaTier* ha = nullptr;    // the replicated data tier (nullptr: the single tier)
  const Network* net = nullptr;  // netns mode: the hosts, their zones and addresses
};

// The load balancer's address, where the store is.
std::string lb_url(const RegionOptions& o);

std::string status_table(const RegionView& v);
boost::json::object status_json(const RegionView& v);

// Redraws the terminal: `table` (status_table), the recent events, a hint.
void draw(const std::string& table, const EventLog& log);

}  // namespace mc::region
