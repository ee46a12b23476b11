#include "region/status_view.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

namespace mc::region {

namespace json = boost::json;

std::string lb_url(const RegionOptions& o) { return fmt::format("http://{}:{}/", o.host, o.lb_port); }

namespace {

// The zone of a data tier's server: its host's (netns), none on loopback.
json::value data_zone(const RegionView& v, const std::string& name) {
  if (v.net == nullptr) return nullptr;
  const auto* h = v.net->host(name);
  return h ? json::value(h->zone) : json::value(nullptr);
}

}  // namespace

json::object status_json(const RegionView& v) {
  const auto& o = v.options;
  json::array instances;
  for (const auto& i : v.instances) {
    instances.emplace_back(json::object{{"id", i.id},
                                        {"az", i.az},
                                        {"state", name_of(i.state)},
                                        {"url", fmt::format("http://{}:{}/", i.address, i.port)},
                                        {"address", fmt::format("{}:{}", i.address, i.port)},
                                        {"pid", i.pid},
                                        {"lb", i.lb_status},
                                        {"rps", static_cast<std::int64_t>(std::lround(i.rps))}});
  }
  json::array db;
  for (const auto& s : v.db) {
    json::object server{{"name", s.name},
                        {"role", s.role},
                        {"up", s.up},
                        {"state", s.state},
                        {"port", s.port},
                        {"url", fmt::format("postgresql://{}:{}/myclothes", s.host, s.port)},
                        {"address", fmt::format("{}:{}", s.host, s.port)},
                        {"az", data_zone(v, s.name)}};
    // null when not known: the primary does not list the replica (down, or not streaming yet).
    server["lag_bytes"] = s.lag_bytes ? json::value(*s.lag_bytes) : json::value(nullptr);
    if (v.ha != nullptr) server["az"] = data_zone_of(s.name);  // the replicated tier's zones are its design
    if (s.role == "replica") server["pid"] = s.pid > 0 ? json::value(s.pid) : json::value(nullptr);
    db.emplace_back(std::move(server));
  }
  json::array zones;
  for (const auto& z : v.net ? v.net->zones() : v.zones) {
    json::object zone{{"name", z}, {"failed", v.failed_zones.contains(z) || (v.net && v.net->cut_off(z))}};
    if (v.net) zone["cut_off"] = v.net->cut_off(z);
    zones.emplace_back(std::move(zone));
  }
  json::object out{{"lb", lb_url(o)},
                   {"network", to_string(o.network)},
                   {"session", to_string(o.session)},
                   {"sticky", o.sticky},
                   {"cache", o.cache},
                   {"replicas", o.replicas},
                   {"desired", v.desired},
                   {"zones", std::move(zones)},
                   {"instances", std::move(instances)},
                   {"data_tier", v.ha != nullptr ? "replicated" : "single"},
                   {"db", std::move(db)},
                   {"redis", json::array{json::object{{"name", "redis"},
                                                      {"role", "master"},
                                                      {"up", v.redis_up},
                                                      {"az", data_zone(v, "redis")},
                                                      {"address", v.redis_address},
                                                      {"url", fmt::format("redis://{}", v.redis_address)}}}}};
  if (v.ha != nullptr) {
    // The replicated tier: every Redis node with its role, what each Sentinel names as the primary, and the
    // HA manager (pg_auto_failover's monitor) with the primary it knows.
    json::array redis;
    json::array sentinels;
    for (const auto& n : v.ha->nodes()) {
      const auto addr = fmt::format("{}:{}", n.server.host, n.server.port);
      if (n.kind == "redis") {
        redis.emplace_back(json::object{{"name", n.server.name},
                                        {"role", n.role.empty() ? json::value(nullptr) : json::value(n.role)},
                                        {"up", n.up},
                                        {"state", n.state},
                                        {"az", n.zone},
                                        {"address", addr},
                                        {"url", fmt::format("redis://{}", addr)},
                                        {"pid", n.pid > 0 ? json::value(n.pid) : json::value(nullptr)}});
      } else if (n.kind == "sentinel") {
        sentinels.emplace_back(
            json::object{{"name", n.server.name},
                         {"az", n.zone},
                         {"up", n.up},
                         {"address", addr},
                         {"primary", n.believes.empty() ? json::value(nullptr) : json::value(n.believes)},
                         {"pid", n.pid > 0 ? json::value(n.pid) : json::value(nullptr)}});
      } else if (n.kind == "monitor") {
        out["ha_manager"] = json::object{
            {"name", n.server.name},
            {"kind", "pg_auto_failover"},
            {"az", n.zone},
            {"up", n.up},
            {"address", addr},
            {"primary", v.ha->db_primary().empty() ? json::value(nullptr) : json::value(v.ha->db_primary())}};
      }
    }
    out["redis"] = std::move(redis);
    out["sentinels"] = std::move(sentinels);
    out["redis_primary"] = v.ha->redis_primary().empty() ? json::value(nullptr) : json::value(v.ha->redis_primary());
  }
  if (v.net != nullptr) {
    // The hosts as the network has them (an addition to the contract: docs/region.md).
    json::array hosts;
    hosts.emplace_back(json::object{{"name", "ops"},
                                    {"role", "ops"},
                                    {"zone", nullptr},
                                    {"address", v.net->sg_hosts().front().address},
                                    {"netns", nullptr},
                                    {"cut_off", false}});
    for (const auto& h : v.net->hosts()) {
      hosts.emplace_back(json::object{{"name", h.name},
                                      {"role", h.role},
                                      {"zone", h.zone.empty() ? json::value(nullptr) : json::value(h.zone)},
                                      {"address", h.address},
                                      {"netns", h.netns},
                                      {"cut_off", !h.zone.empty() && v.net->cut_off(h.zone)}});
    }
    out["hosts"] = std::move(hosts);
    out["net"] = json::object{
        {"id", v.net->id()}, {"prefix", v.net->prefix()}, {"block", v.net->block()}, {"link", "mc" + v.net->id()}};
  }
  return out;
}

std::string status_table(const RegionView& v) {
  const auto& o = v.options;
  std::string out = fmt::format("MyClothes region  load balancer {}  sessions {}{}  network {}\n", lb_url(o),
                                to_string(o.session), o.sticky ? " (+ LB stickiness)" : "", to_string(o.network));
  out += fmt::format("{:<10} {:<4} {:<11} {:<10} {:>8}  {}\n", "INSTANCE", "AZ", "STATE", "LB", "REQ/S", "URL");
  for (const auto& i : v.instances) {
    out += fmt::format("{:<10} {:<4} {:<11} {:<10} {:>8.1f}  http://{}:{}/\n", i.id, i.az, name_of(i.state),
                       i.lb_status, i.rps, i.address, i.port);
  }
  out += fmt::format(
      "desired {}, zones {}{}\n", v.desired, fmt::join(v.zones, ","),
      v.failed_zones.empty() ? std::string() : fmt::format(" (failed: {})", fmt::join(v.failed_zones, ",")));
  out += fmt::format("{:<10} {:<8} {:<14} {:>9}  {}\n", "DATABASE", "ROLE", "STATE", "LAG", "URL");
  for (const auto& s : v.db) {
    out +=
        fmt::format("{:<10} {:<8} {:<14} {:>9}  postgresql://{}:{}/myclothes\n", s.name, s.role,
                    s.up || s.role == "replica" ? s.state : "DOWN (" + s.state + ")",
                    s.role != "primary" && s.lag_bytes ? format_bytes(*s.lag_bytes) : std::string("-"), s.host, s.port);
  }
  if (v.ha != nullptr) {
    for (const auto& n : v.ha->nodes()) {
      if (n.kind == "monitor") {
        out += fmt::format("{:<10} {:<8} {:<14} {:>9}  postgresql://{}:{}/pg_auto_failover (knows primary: {})\n",
                           n.server.name, "monitor", n.up ? n.state : "DOWN (" + n.state + ")", "-", n.server.host,
                           n.server.port, v.ha->db_primary().empty() ? "none" : v.ha->db_primary());
      }
    }
    out += fmt::format("{:<10} {:<8} {:<4} {:<14}  {}\n", "REDIS", "ROLE", "AZ", "STATE", "ADDRESS");
    for (const auto& n : v.ha->nodes()) {
      if (n.kind != "redis" && n.kind != "sentinel") continue;
      const auto state = n.kind == "sentinel" ? (n.believes.empty() ? n.state : "primary is " + n.believes) : n.state;
      out += fmt::format("{:<10} {:<8} {:<4} {:<14}  {}:{}\n", n.server.name, n.role.empty() ? "?" : n.role, n.zone,
                         n.up ? state : "DOWN (" + n.state + ")", n.server.host, n.server.port);
    }
    out += fmt::format("catalog cache {}\n", o.cache ? "on" : "off (--no-cache)");
  } else {
    out += fmt::format("Redis {} {}   catalog cache {}\n", v.redis_address, v.redis_up ? "up" : "DOWN",
                       o.cache ? "on" : "off (--no-cache)");
  }
  if (v.net != nullptr) {
    out += fmt::format("HOST       ROLE      ZONE  ADDRESS        NAMESPACE  (network {}, link mc{})\n", v.net->block(),
                       v.net->id());
    for (const auto& h : v.net->hosts()) {
      const bool cut = !h.zone.empty() && v.net->cut_off(h.zone);
      out += fmt::format("{:<10} {:<9} {:<5} {:<14} {}{}\n", h.name, h.role, h.zone.empty() ? "-" : h.zone, h.address,
                         h.netns, cut ? "  CUT OFF" : "");
    }
  }
  return out;
}

void draw(const std::string& table, const EventLog& log) {
  std::string screen = "\x1b[H\x1b[2J" + table + "\nrecent events:\n";
  for (const auto& e : log.recent()) screen += "  " + e + "\n";
  screen += "\nCtrl-C stops the region; `script/myclothes region --help` lists the other verbs.\n";
  std::fwrite(screen.data(), 1, screen.size(), stdout);
  std::fflush(stdout);
}

}  // namespace mc::region
