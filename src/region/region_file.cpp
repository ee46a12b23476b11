// The region file: the settings of `region up` in TOML, so a region can be described once and started
// the same way again. Flags given on the command line win over it.
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>

#include "region/region.hpp"

namespace mc::region {
namespace {

template <class T>
std::optional<std::string> integer(const toml::node& node, const std::string& key, long long lo, long long hi, T& out) {
  const auto v = node.value<long long>();
  if (!node.is_integer() || !v || *v < lo || *v > hi) {
    return fmt::format("{}: expected an integer from {} to {}", key, lo, hi);
  }
  out = static_cast<T>(*v);
  return std::nullopt;
}

std::optional<std::string> text(const toml::node& node, const std::string& key, std::string& out,
                                std::initializer_list<std::string_view> allowed = {}) {
  const auto v = node.value<std::string>();
  if (!node.is_string() || !v) return fmt::format("{}: expected a string", key);
  if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
    return fmt::format("{}: expected one of {}, got \"{}\"", key, fmt::join(allowed, "|"), *v);
  }
  out = *v;
  return std::nullopt;
}

std::optional<std::string> apply(const std::string& key, const toml::node& node, RegionOptions& o) {
  if (key == "region.instances") return integer(node, key, 1, kMaxInstances, o.instances);
  if (key == "region.azs") return integer(node, key, 1, kMaxZones, o.azs);
  if (key == "region.session") return text(node, key, o.session, {"sticky", "cookie", "redis", "dynamodb"});
  if (key == "region.sticky") {
    if (!node.is_boolean()) return fmt::format("{}: expected true or false", key);
    o.sticky = node.value<bool>().value_or(false);
    return std::nullopt;
  }
  if (key == "region.sticky_seconds") {
    long long s = 0;
    if (auto err = integer(node, key, 1, 7 * 24 * 3600, s)) return err;
    o.cookie_lifetime = std::chrono::seconds(s);
    return std::nullopt;
  }
  if (key == "region.cache") {
    if (!node.is_boolean()) return fmt::format("{}: expected true or false", key);
    o.cache = node.value<bool>().value_or(true);
    return std::nullopt;
  }
  if (key == "region.network") return text(node, key, o.network, {"loopback", "netns"});
  if (key == "region.host") return text(node, key, o.host);
  if (key == "region.port") return integer(node, key, 1, 65535, o.lb_port);
  if (key == "region.threads") return integer(node, key, 1, 64, o.threads);
  if (key == "region.products") return integer(node, key, 1, 1'000'000, o.products);
  if (key == "data.pg_port") return integer(node, key, 1, 65535, o.pg_port);
  if (key == "data.redis_port") return integer(node, key, 1, 65535, o.redis_port);
  if (key == "data.replicas") return integer(node, key, 0, kMaxReplicas, o.replicas);
  if (key == "data.dir") return text(node, key, o.data_dir);
  if (key == "instances.config") return text(node, key, o.config_file);
  if (key == "instances.web_root") return text(node, key, o.web_root);
  return fmt::format("{}: unknown setting", key);
}

}  // namespace

std::optional<std::string> load_region_file(const std::string& path, RegionOptions& options) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fmt::format("{}:{}: {}", path, e.source().begin.line, e.description());
  }
  for (const auto& [section, node] : table) {
    const auto* inner = node.as_table();
    if (inner == nullptr) return fmt::format("{}: {}: expected a [section] table", path, section.str());
    for (const auto& [key, value] : *inner) {
      const std::string full = fmt::format("{}.{}", section.str(), key.str());
      if (auto err = apply(full, value, options)) return fmt::format("{}: {}", path, *err);
    }
  }
  return std::nullopt;
}

}  // namespace mc::region
