#include "core/config.hpp"

#include <fmt/format.h>

#include <charconv>

extern char** environ;

namespace mc {
namespace {

// A list of host:port (a TOML array, or comma-separated text), each checked, so that a typo is a config
// error naming the setting rather than a client that keeps asking a sentinel that cannot exist.
settings::Setter endpoints(std::vector<Endpoint>& field) {
  return [&field](const std::string& text, settings::Kind kind) -> std::optional<std::string> {
    std::vector<std::string> items;
    if (auto err = settings::list(items)(text, kind)) return err;
    std::vector<Endpoint> parsed;
    for (const auto& item : items) {
      auto e = parse_endpoint(item);
      if (!e) return fmt::format("expected host:port entries (port 1 to 65535), got \"{}\"", item);
      parsed.push_back(std::move(*e));
    }
    field = std::move(parsed);
    return std::nullopt;
  };
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {  // [v6 address]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // a bare v6 address is ambiguous
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string to_string(const Endpoint& e) {
  return e.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", e.host, e.port)
                                               : fmt::format("{}:{}", e.host, e.port);
}

settings::Table config_settings(Config& c) {
  using namespace settings;
  return {
      {"server.host", string(c.server.host, false)},
      {"server.port", integer(c.server.port, 1, 65535)},
      {"server.threads", integer(c.server.threads, 0, 256)},
      {"server.instance_id", string(c.server.instance_id)},
      {"server.az", string(c.server.az, false)},
      {"server.web_root", string(c.server.web_root, false)},
      {"server.drain_deadline_seconds", duration(c.server.drain_deadline, 0, 3600)},
      {"server.read_timeout_seconds", duration(c.server.read_timeout, 1, 3600)},
      {"server.idle_timeout_seconds", duration(c.server.idle_timeout, 1, 3600)},
      {"server.header_limit_bytes", integer(c.server.header_limit_bytes, 1024, 1 << 20)},
      {"server.body_limit_bytes", integer(c.server.body_limit_bytes, 1024, 16 << 20)},
      {"server.trusted_proxies", list(c.server.trusted_proxies)},
      {"db.primary", string(c.db.primary, false)},
      {"db.replicas", list(c.db.replicas)},
      {"db.pool_size", integer(c.db.pool_size, 1, 64)},
      {"db.query_timeout_ms", duration(c.db.query_timeout, 1, 600000)},
      {"db.connect_timeout_ms", duration(c.db.connect_timeout, 1, 600000)},
      {"db.statement_timeout_ms", duration(c.db.statement_timeout, 0, 600000)},
      {"db.replica_check_interval_ms", duration(c.db.replica_check_interval, 10, 60000)},
      {"db.max_replica_lag_bytes", integer(c.db.max_replica_lag_bytes, 0, 1ll << 40)},
      {"db.max_replica_lag_ms", duration(c.db.max_replica_lag, 10, 3600000)},
      {"redis.enabled", boolean(c.redis.enabled)},
      {"redis.host", string(c.redis.host, false)},
      {"redis.port", integer(c.redis.port, 1, 65535)},
      {"redis.command_timeout_ms", duration(c.redis.command_timeout, 1, 60000)},
      {"redis.sentinels", endpoints(c.redis.sentinels)},
      {"redis.master_name", string(c.redis.master_name, false)},
      {"redis.wait_replicas", integer(c.redis.wait_replicas, -1, 5)},
      {"redis.wait_timeout_ms", duration(c.redis.wait_timeout, 1, 10000)},
      {"cache.enabled", boolean(c.cache.enabled)},
      {"cache.lock_wait_ms", duration(c.cache.lock_wait, 0, 10000)},
      {"cache.product_ttl_seconds", duration(c.cache.product_ttl, 1, 86400LL * 30)},
      {"cache.listing_ttl_seconds", duration(c.cache.listing_ttl, 1, 86400LL * 30)},
      {"cache.jitter", fraction(c.cache.jitter)},
      {"session.mode", choice(c.session.mode)},
      {"session.cookie_keys", list(c.session.cookie_keys)},
      {"session.max_sessions", integer(c.session.max_sessions, 1, 10'000'000)},
      {"dynamodb.table", string(c.dynamodb.table, false)},
      {"dynamodb.region", string(c.dynamodb.region, false)},
      {"dynamodb.endpoint", string(c.dynamodb.endpoint)},
      {"dynamodb.timeout_ms", duration(c.dynamodb.timeout, 1, 60000)},
      {"admin.token", string(c.admin.token)},
      {"log.level", choice(c.log.level)},
      {"log.format", choice(c.log.format)},
  };
}

std::map<std::string, std::string> environment_variables() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

Expected<Config, std::string> load_config(const ConfigSources& sources) {
  Config config;
  const auto table = config_settings(config);
  if (sources.file) {
    if (auto err = settings::apply_file(table, *sources.file)) return Unexpected(*err);
  }
  if (auto err = settings::apply_environment(table, sources.env, "MYCLOTHES_")) return Unexpected(*err);
  for (const auto& [key, value] : sources.overrides) {
    if (auto err = settings::apply(table, key, value, "command line")) return Unexpected(*err);
  }
  // A WAIT holds the thread's one Redis connection until it ends, and every command queued behind it waits
  // too: a WAIT that may outlast the command deadline would turn one missing replica into timeouts of the
  // catalog cache and the sessions on that thread.
  if (config.redis.replicas_to_wait_for() > 0 && config.redis.wait_timeout >= config.redis.command_timeout) {
    return Unexpected(
        fmt::format("redis.wait_timeout_ms: must be less than redis.command_timeout_ms ({} ms) while writes wait for "
                    "replicas, got {} ms",
                    config.redis.command_timeout.count(), config.redis.wait_timeout.count()));
  }
  return config;
}

}  // namespace mc
