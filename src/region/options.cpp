// The region's options by name: the region file (deploy/local/region.toml) and the flags of `region up` go
// through this one table, so a region can be described once and started the same way again, and a flag
// wins over the file without a field-by-field merge.
#include "region/region.hpp"

namespace mc::region {

settings::Table region_settings(RegionOptions& o) {
  using namespace settings;
  return {
      {"region.instances", integer(o.instances, 1, kMaxInstances)},
      {"region.azs", integer(o.azs, 1, kMaxZones)},
      {"region.session", choice(o.session)},
      {"region.sticky", boolean(o.sticky)},
      {"region.sticky_seconds", duration(o.cookie_lifetime, 1, 7LL * 24 * 3600)},
      {"region.cache", boolean(o.cache)},
      {"region.network", choice(o.network)},
      {"region.security_groups", string(o.security_groups, false)},
      {"region.host", string(o.host, false)},
      {"region.port", integer(o.lb_port, 1, 65535)},
      {"region.threads", integer(o.threads, 1, 64)},
      {"region.products", integer(o.products, 1, 1'000'000)},
      {"region.live", boolean(o.live)},
      {"data.pg_port", integer(o.pg_port, 1, 65535)},
      {"data.redis_port", integer(o.redis_port, 1, 65535)},
      {"data.replicas", integer(o.replicas, 0, kMaxReplicas)},
      {"data.tier", choice(o.data_tier)},
      {"data.dir", string(o.data_dir)},
      {"data.services", string(o.services, false)},
      {"data.migrations", string(o.migrations, false)},
      {"instances.config", string(o.config_file)},
      {"instances.web_root", string(o.web_root, false)},
  };
}

std::optional<std::string> load_region_options(const std::string& file, const std::map<std::string, std::string>& flags,
                                               RegionOptions& options) {
  const auto table = region_settings(options);
  if (!file.empty()) {
    if (auto err = settings::apply_file(table, file)) return err;
  }
  for (const auto& [key, value] : flags) {
    if (auto err = settings::apply(table, key, value, "command line")) return err;
  }
  return std::nullopt;
}

}  // namespace mc::region
