#include "core/config.hpp"

extern char** environ;

namespace mc {

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
      {"cache.enabled", boolean(c.cache.enabled)},
      {"cache.lock_wait_ms", duration(c.cache.lock_wait, 0, 10000)},
      {"cache.product_ttl_seconds", duration(c.cache.product_ttl, 1, 86400LL * 30)},
      {"cache.listing_ttl_seconds", duration(c.cache.listing_ttl, 1, 86400LL * 30)},
      {"cache.jitter", fraction(c.cache.jitter)},
      {"session.mode", choice(c.session.mode)},
      {"session.cookie_keys", list(c.session.cookie_keys)},
      {"session.max_sessions", integer(c.session.max_sessions, 1, 10'000'000)},
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
  return config;
}

}  // namespace mc
