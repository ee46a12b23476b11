#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/settings.hpp"

namespace mc {

// Where sessions and carts live (DESIGN.md, "Session modes").
enum class SessionMode { kSticky, kCookie, kRedis, kDynamodb };
template <>
struct Choices<SessionMode> {
  static constexpr std::array<std::string_view, 4> names{"sticky", "cookie", "redis", "dynamodb"};
};

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
template <>
struct Choices<LogLevel> {
  static constexpr std::array<std::string_view, 6> names{"trace", "debug", "info", "warn", "error", "off"};
};

enum class LogFormat { kText, kJson };
template <>
struct Choices<LogFormat> {
  static constexpr std::array<std::string_view, 2> names{"text", "json"};
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;     // 0: one I/O thread per core
  std::string instance_id;  // empty: derived from host name and port
  std::string az = "a";
  std::string web_root = "web";  // templates/ and static/ live below it
  std::chrono::seconds drain_deadline{10};
  std::chrono::seconds read_timeout{15};
  std::chrono::seconds idle_timeout{60};
  std::size_t header_limit_bytes = std::size_t{16} * 1024;
  std::size_t body_limit_bytes = std::size_t{64} * 1024;
  // The load balancers whose X-Forwarded-For names the client (addresses or IPv4 networks); from any other
  // peer the header is ignored. Empty: the TCP peer is the client (http/client_address.hpp).
  std::vector<std::string> trusted_proxies;
};

struct DbConfig {
  std::string primary = "host=127.0.0.1 port=5432 dbname=myclothes user=myclothes";
  std::vector<std::string> replicas;
  unsigned pool_size = 2;  // connections per I/O thread and server
  std::chrono::milliseconds query_timeout{5000};
  // How long one connection attempt may take, per host: a conninfo with several hosts (`host=A,B port=P,Q
  // target_session_attrs=read-write`, the primary behind a failover pair) gets this long for each in turn.
  std::chrono::milliseconds connect_timeout{2000};
  // Sent as the session's statement_timeout when a connection opens, so the server gives up on a statement
  // that has run this long and a request never waits on one for ever. 0: the server's own setting.
  std::chrono::milliseconds statement_timeout{5000};
  // Replica health: how often each replica's replay position is checked, and how far behind the primary
  // it may fall (in WAL bytes, or in time: still short of where the primary was this long ago) before it
  // is taken out of the round robin; it comes back by itself once it has caught up.
  std::chrono::milliseconds replica_check_interval{500};
  std::uint64_t max_replica_lag_bytes = 16ull << 20;
  std::chrono::milliseconds max_replica_lag{5000};
};

// A server's address as written in a setting: "host:port" ("[::1]:26379" for an IPv6 address).
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};
std::optional<Endpoint> parse_endpoint(std::string_view text);
std::string to_string(const Endpoint& e);

struct RedisConfig {
  bool enabled = true;
  // Direct mode (no sentinels): the one server.
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::chrono::milliseconds command_timeout{500};
  // Sentinel mode: the primary of `master_name` is asked of these, in turn, on every (re)connect.
  std::vector<Endpoint> sentinels;
  std::string master_name = "myclothes";
  // Replicas a cart or session write waits for (WAIT) before it counts as done; -1: 1 with sentinels, 0
  // without (0: no WAIT). See replicas_to_wait_for().
  int wait_replicas = -1;
  std::chrono::milliseconds wait_timeout{300};

  int replicas_to_wait_for() const {
    if (wait_replicas >= 0) return wait_replicas;
    return sentinels.empty() ? 0 : 1;
  }
};

struct CacheConfig {
  bool enabled = true;  // false: catalog reads skip Redis (the lab's "no cache" runs); sessions still use it
  std::chrono::seconds product_ttl{300};
  std::chrono::seconds listing_ttl{60};
  double jitter = 0.1;  // TTLs vary by ± this fraction so keys loaded together do not expire together
  // Stampede protection across instances: the instance that takes a cold key's short Redis lock loads
  // it; the others wait up to this long for its value before loading it themselves.
  std::chrono::milliseconds lock_wait{500};
};

// Where sessions and carts live (DESIGN.md, "Session modes").
struct SessionConfig {
  SessionMode mode = SessionMode::kRedis;
  // Mode cookie: "id:base64url(32-byte key)" entries; the first seals, every one opens. A secret: set
  // it in the environment (MYCLOTHES_SESSION_COOKIE_KEYS), never in a committed file.
  std::vector<std::string> cookie_keys;
  std::size_t max_sessions = 100'000;  // mode sticky: sessions one instance keeps in memory
};

// Mode dynamodb: the table of sessions and carts (ADR 18). Credentials come from the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never from a settings file.
struct DynamodbConfig {
  std::string table = "myclothes-sessions";
  std::string region = "us-east-1";
  // "http://host:port" for DynamoDB Local (deploy/local/dynamodb/server env prints it); empty: AWS's.
  std::string endpoint;
  std::chrono::milliseconds timeout{1000};  // one attempt's deadline; the client retries twice
};

struct AdminConfig {
  std::string token;
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

struct Config {
  ServerConfig server;
  DbConfig db;
  RedisConfig redis;
  CacheConfig cache;
  SessionConfig session;
  DynamodbConfig dynamodb;
  AdminConfig admin;
  LogConfig log;
};

// Where settings come from, lowest precedence first: built-in defaults, the TOML file, environment
// variables MYCLOTHES_<SECTION>_<KEY> (e.g. MYCLOTHES_DB_PRIMARY, MYCLOTHES_ADMIN_TOKEN), then
// `overrides` ("section.key" -> value, from command-line flags).
struct ConfigSources {
  std::optional<std::string> file;
  std::map<std::string, std::string> env;  // usually environment_variables()
  std::map<std::string, std::string> overrides;
};

// A one-line error naming the setting, e.g. "server.port: expected an integer from 1 to 65535, got \"x\"
// (command line)".
Expected<Config, std::string> load_config(const ConfigSources& sources);

// The table every source goes through; its setters write into `config`.
settings::Table config_settings(Config& config);

std::map<std::string, std::string> environment_variables();

}  // namespace mc
