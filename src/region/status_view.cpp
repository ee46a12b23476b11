#include "region/status_view.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

namespace mc::region {

namespace json = boost::json;

std::string lb_url(const RegionOptions& o) { return fmt::format("http://{}:{}/", o.host, o.lb_port); }

json::object status_json(const RegionView& v) {
  const auto& o = v.options;
  json::array instances;
  for (const auto& i : v.instances) {
    instances.emplace_back(json::object{{"id", i.id},
                                        {"az", i.az},
                                        {"state", name_of(i.state)},
                                        {"url", fmt::format("http://{}:{}/", o.host, i.port)},
                                        {"pid", i.pid},
                                        {"lb", i.lb_status},
                                        {"rps", static_cast<std::int64_t>(std::lround(i.rps))}});
  }
  json::array db;
  for (const auto& s : v.db) {
    json::object server{{"name", s.name}, {"role", s.role},
                        {"up", s.up},     {"state", s.state},
                        {"port", s.port}, {"url", fmt::format("postgresql://127.0.0.1:{}/myclothes", s.port)}};
    // null when not known: the primary does not list the replica (down, or not streaming yet).
    server["lag_bytes"] = s.lag_bytes ? json::value(*s.lag_bytes) : json::value(nullptr);
    if (s.role == "replica") server["pid"] = s.pid > 0 ? json::value(s.pid) : json::value(nullptr);
    db.emplace_back(std::move(server));
  }
  json::array zones;
  for (const auto& z : v.zones) zones.emplace_back(json::object{{"name", z}, {"failed", v.failed_zones.contains(z)}});
  return json::object{{"lb", lb_url(o)},
                      {"network", to_string(o.network)},
                      {"session", to_string(o.session)},
                      {"sticky", o.sticky},
                      {"cache", o.cache},
                      {"replicas", o.replicas},
                      {"desired", v.desired},
                      {"zones", std::move(zones)},
                      {"instances", std::move(instances)},
                      {"db", std::move(db)},
                      {"redis", json::array{json::object{{"name", "redis"},
                                                         {"role", "master"},
                                                         {"up", v.redis_up},
                                                         {"url", fmt::format("redis://127.0.0.1:{}", o.redis_port)}}}}};
}

std::string status_table(const RegionView& v) {
  const auto& o = v.options;
  std::string out = fmt::format("MyClothes region  load balancer {}  sessions {}{}  network {}\n", lb_url(o),
                                to_string(o.session), o.sticky ? " (+ LB stickiness)" : "", to_string(o.network));
  out += fmt::format("{:<10} {:<4} {:<11} {:<10} {:>8}  {}\n", "INSTANCE", "AZ", "STATE", "LB", "REQ/S", "URL");
  for (const auto& i : v.instances) {
    out += fmt::format("{:<10} {:<4} {:<11} {:<10} {:>8.1f}  http://{}:{}/\n", i.id, i.az, name_of(i.state),
                       i.lb_status, i.rps, o.host, i.port);
  }
  out += fmt::format(
      "desired {}, zones {}{}\n", v.desired, fmt::join(v.zones, ","),
      v.failed_zones.empty() ? std::string() : fmt::format(" (failed: {})", fmt::join(v.failed_zones, ",")));
  out += fmt::format("{:<10} {:<8} {:<14} {:>9}  {}\n", "DATABASE", "ROLE", "STATE", "LAG", "URL");
  for (const auto& s : v.db) {
    out += fmt::format("{:<10} {:<8} {:<14} {:>9}  postgresql://127.0.0.1:{}/myclothes\n", s.name, s.role,
                       s.up || s.role == "replica" ? s.state : "DOWN (" + s.state + ")",
                       s.role == "replica" && s.lag_bytes ? format_bytes(*s.lag_bytes) : std::string("-"), s.port);
  }
  out += fmt::format("Redis 127.0.0.1:{} {}   catalog cache {}\n", o.redis_port, v.redis_up ? "up" : "DOWN",
                     o.cache ? "on" : "off (--no-cache)");
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
