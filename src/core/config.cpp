#include "core/config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

extern char** environ;

namespace mc {
namespace {

using Setter = std::function<std::optional<std::string>(const std::string&)>;

std::optional<std::string> parse_int(const std::string& text, long long lo, long long hi, long long& out) {
  long long v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || v < lo || v > hi) {
    return fmt::format("expected an integer {}..{}, got \"{}\"", lo, hi, text);
  }
  out = v;
  return std::nullopt;
}

template <class T>
Setter integer(T& field, long long lo, long long hi) {
  return [&field, lo, hi](const std::string& text) -> std::optional<std::string> {
    long long v = 0;
    if (auto err = parse_int(text, lo, hi, v)) return err;
    field = static_cast<T>(v);
    return std::nullopt;
  };
}

template <class Duration>
Setter duration(Duration& field, long long lo, long long hi) {
  return [&field, lo, hi](const std::string& text) -> std::optional<std::string> {
    long long v = 0;
    if (auto err = parse_int(text, lo, hi, v)) return err;
    field = Duration(v);
    return std::nullopt;
  };
}

Setter string(std::string& field, bool allow_empty = true) {
  return [&field, allow_empty](const std::string& text) -> std::optional<std::string> {
    if (!allow_empty && text.empty()) return std::string("must not be empty");
    field = text;
    return std::nullopt;
  };
}

Setter boolean(bool& field) {
  return [&field](const std::string& text) -> std::optional<std::string> {
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
      field = true;
    } else if (text == "false" || text == "0" || text == "no" || text == "off") {
      field = false;
    } else {
      return fmt::format("expected true or false, got \"{}\"", text);
    }
    return std::nullopt;
  };
}

Setter fraction(double& field) {
  return [&field](const std::string& text) -> std::optional<std::string> {
    try {
      std::size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size() && v >= 0.0 && v < 1.0) {
        field = v;
        return std::nullopt;
      }
    } catch (const std::exception&) {
    }
    return fmt::format("expected a number in [0, 1), got \"{}\"", text);
  };
}

// A list is written as a TOML array in the file and as a comma-separated value elsewhere.
Setter list(std::vector<std::string>& field) {
  return [&field](const std::string& text) -> std::optional<std::string> {
    field.clear();
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
      if (!item.empty()) field.push_back(item);
    }
    return std::nullopt;
  };
}

Setter one_of(std::string& field, std::vector<std::string> allowed) {
  return [&field, allowed = std::move(allowed)](const std::string& text) -> std::optional<std::string> {
    for (const auto& a : allowed) {
      if (a == text) {
        field = text;
        return std::nullopt;
      }
    }
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : "|") + a;
    return fmt::format("expected one of {}, got \"{}\"", names, text);
  };
}

std::map<std::string, Setter> setters(Config& c) {
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
      {"db.primary", string(c.db.primary, false)},
      {"db.replicas", list(c.db.replicas)},
      {"db.pool_size", integer(c.db.pool_size, 1, 64)},
      {"db.query_timeout_ms", duration(c.db.query_timeout, 1, 600000)},
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
      {"session.mode", one_of(c.session.mode, {"sticky", "cookie", "redis", "dynamodb"})},
      {"session.cookie_keys", list(c.session.cookie_keys)},
      {"session.max_sessions", integer(c.session.max_sessions, 1, 10'000'000)},
      {"admin.token", string(c.admin.token)},
      {"log.level", one_of(c.log.level, {"trace", "debug", "info", "warn", "error", "off"})},
      {"log.json", boolean(c.log.json)},
  };
}

std::string node_to_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (const auto* arr = node.as_array()) {
    std::string joined;
    for (const auto& item : *arr) {
      if (!joined.empty()) joined += ',';
      joined += node_to_text(item);
    }
    return joined;
  }
  std::ostringstream out;
  if (node.is_boolean()) {
    out << (node.value<bool>().value_or(false) ? "true" : "false");
  } else if (node.is_integer()) {
    out << node.value<long long>().value_or(0);
  } else if (node.is_floating_point()) {
    out << node.value<double>().value_or(0.0);
  } else {
    out << "<" << node.type() << ">";
  }
  return out.str();
}

std::string env_name(const std::string& key) {
  std::string name = "MYCLOTHES_";
  for (char ch : key) {
    name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

}  // namespace

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
  auto set = setters(config);

  auto apply = [&](const std::string& key, const std::string& value,
                   const std::string& origin) -> std::optional<std::string> {
    auto it = set.find(key);
    if (it == set.end()) return fmt::format("{}: unknown setting ({})", key, origin);
    if (auto err = it->second(value)) return fmt::format("{}: {} ({})", key, *err, origin);
    return std::nullopt;
  };

  if (sources.file) {
    toml::table table;
    try {
      table = toml::parse_file(*sources.file);
    } catch (const toml::parse_error& e) {
      return Unexpected(fmt::format("{}:{}: {}", *sources.file, e.source().begin.line, e.description()));
    }
    for (const auto& [section, node] : table) {
      const auto* inner = node.as_table();
      if (!inner) return Unexpected(fmt::format("{}: expected a [section] table ({})", section.str(), *sources.file));
      for (const auto& [key, value] : *inner) {
        const std::string full = std::string(section.str()) + "." + std::string(key.str());
        if (auto err = apply(full, node_to_text(value), *sources.file)) return Unexpected(*err);
      }
    }
  }
  for (const auto& [key, _] : set) {
    auto it = sources.env.find(env_name(key));
    if (it == sources.env.end()) continue;
    if (auto err = apply(key, it->second, "environment " + it->first)) return Unexpected(*err);
  }
  for (const auto& [key, value] : sources.overrides) {
    if (auto err = apply(key, value, "command line")) return Unexpected(*err);
  }
  return config;
}

}  // namespace mc
