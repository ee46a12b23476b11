// The fleet's placement: which zone an instance goes to or leaves, and the verbs that change it —
// `region scale N`, `fail-az AZ`, `restore-az AZ` (the state is the Fleet's, fleet.hpp).

#include <fmt/format.h>

#include <algorithm>

#include "region/fleet.hpp"

namespace mc::region {

std::string zone_for_launch(const std::map<std::string, int>& counts) {
  std::string best;
  int fewest = 0;
  for (const auto& [zone, n] : counts) {
    if (best.empty() || n < fewest) {
      best = zone;
      fewest = n;
    }
  }
  return best;
}

std::string zone_for_removal(const std::map<std::string, int>& counts) {
  std::string best;
  int most = -1;
  for (const auto& [zone, n] : counts) {
    if (n >= most) {
      best = zone;
      most = n;
    }
  }
  return best;
}

std::map<std::string, int> Fleet::zone_counts() const {
  std::map<std::string, int> counts;
  for (const auto& z : zones_) {
    if (!failed_zones_.contains(z)) counts[z] = 0;
  }
  for (const auto& i : instances_) {
    if ((i.state == State::kInService || i.state == State::kStarting) && counts.contains(i.az)) ++counts[i.az];
  }
  return counts;
}

std::string Fleet::scale(const std::string& arg) {
  int n = -1;
  try {
    n = std::stoi(arg);
  } catch (const std::exception&) {
  }
  if (n < 1 || n > kMaxInstances) return fmt::format("error: scale needs a count from 1 to {}\n", kMaxInstances);
  const int before = live_count();
  desired_ = n;
  std::vector<std::string> done;
  while (live_count() < desired_) {
    const auto counts = zone_counts();
    if (counts.empty()) return "error: every zone has failed; restore one with `myclothes region restore-az AZ`\n";
    if (auto err = launch(zone_for_launch(counts))) return fmt::format("error: {}\n", *err);
    done.push_back("launched " + instances_.back().id);
  }
  while (live_count() > desired_) {
    const auto zone = zone_for_removal(zone_counts());
    Instance* victim = nullptr;
    for (auto& i : instances_) {
      if (i.az == zone && i.state == State::kInService) victim = &i;  // the newest in that zone
    }
    if (victim == nullptr) break;
    retire(*victim);
    done.push_back("drained " + victim->id);
  }
  forget_terminated();
  return fmt::format("region: {} -> {} instances ({})\n", before, live_count(),
                     done.empty() ? std::string("nothing to do") : fmt::format("{}", fmt::join(done, ", ")));
}

std::string Fleet::fail_zone(const std::string& zone, bool partition) {
  if (std::find(zones_.begin(), zones_.end(), zone) == zones_.end()) {
    return fmt::format("error: no zone {} (zones: {})\n", zone, fmt::join(zones_, ", "));
  }
  failed_zones_.insert(zone);
  std::vector<std::string> ids;
  for (auto& inst : instances_) {
    if (inst.az != zone || inst.state == State::kTerminated) continue;
    if (!partition) crash(inst);
    ids.push_back(inst.id);
  }
  const auto list = ids.empty() ? std::string("none") : fmt::format("{}", fmt::join(ids, ", "));
  if (partition) {
    log_.event(fmt::format("zone {} cut off: its instances ({}) keep running, unreachable", zone, list));
    return fmt::format(
        "region: zone {} is cut off: nothing crosses to or from it, its hosts keep running; the load balancer's "
        "health checks take its instances ({}) out and the fleet replaces them in the other zones\n",
        zone, list);
  }
  log_.event(fmt::format("zone {} failed: killed {}", zone, list));
  return fmt::format(
      "region: zone {} is down (loopback: its instances were killed: {}); replacements go to the other zones\n", zone,
      list);
}

std::string Fleet::restore_zone(const std::string& zone) {
  if (!failed_zones_.erase(zone)) return fmt::format("error: zone {} has not failed\n", zone);
  // Rebalance like an auto-scaling group: launch in the restored zone, then drain the surplus elsewhere.
  std::vector<std::string> moved;
  while (true) {
    const auto counts = zone_counts();
    const auto low = zone_for_launch(counts);
    const auto high = zone_for_removal(counts);
    if (counts.at(high) - counts.at(low) <= 1) break;
    if (auto err = launch(low)) return fmt::format("error: {}\n", *err);
    Instance* victim = nullptr;
    for (auto& i : instances_) {
      if (i.az == high && i.state == State::kInService) victim = &i;
    }
    if (victim == nullptr) break;
    retire(*victim);
    moved.push_back(fmt::format("{} -> {}", victim->id, instances_.back().id));
  }
  forget_terminated();
  log_.event(fmt::format("zone {} restored", zone));
  return fmt::format("region: zone {} restored{}\n", zone,
                     moved.empty() ? std::string() : fmt::format("; rebalanced: {}", fmt::join(moved, ", ")));
}

}  // namespace mc::region
