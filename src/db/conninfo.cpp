#include "db/conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>

namespace mc::db::detail {
namespace {

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  while (true) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

struct Parsed {
  std::string host, hostaddr, port, options;
};

Parsed parse(const std::string& conninfo) {
  Parsed p;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return p;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "host") p.host = o->val;
    if (key == "hostaddr") p.hostaddr = o->val;
    if (key == "port") p.port = o->val;
    if (key == "options") p.options = o->val;
  }
  PQconninfoFree(options);
  return p;
}

}  // namespace

std::string HostTarget::label() const {
  const std::string& where = host.empty() ? hostaddr : host;
  return (where.empty() ? "?" : where) + ":" + (port.empty() ? "?" : port);
}

ConnectPlan plan_connection(const std::string& conninfo) {
  const Parsed p = parse(conninfo);
  ConnectPlan plan{{}, p.options};
  const auto hosts = split_list(p.host);
  const auto addrs = split_list(p.hostaddr);
  const auto ports = split_list(p.port);
  const std::size_t n = std::max(hosts.size(), addrs.size());
  const bool mismatched =
      (!hosts.empty() && !addrs.empty() && hosts.size() != addrs.size()) || (ports.size() > 1 && ports.size() != n);
  const auto has_empty = [](const std::vector<std::string>& v) {
    return std::any_of(v.begin(), v.end(), [](const std::string& s) { return s.empty(); });
  };
  // An empty entry means "libpq's default" there, which an override cannot say (libpq ignores empty values).
  if (n <= 1 || mismatched || has_empty(hosts) || has_empty(addrs) || has_empty(ports)) {
    plan.hosts.emplace_back();
    return plan;
  }
  plan.hosts.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!hosts.empty()) plan.hosts[i].host = hosts[i];
    if (!addrs.empty()) plan.hosts[i].hostaddr = addrs[i];
    if (!ports.empty()) plan.hosts[i].port = ports.size() == 1 ? ports[0] : ports[i];
  }
  return plan;
}

std::string session_options(std::string_view existing, std::chrono::milliseconds statement_timeout) {
  std::string out;
  if (statement_timeout.count() > 0) out = "-c statement_timeout=" + std::to_string(statement_timeout.count());
  if (!existing.empty()) {
    if (!out.empty()) out += ' ';
    out += existing;
  }
  return out;
}

}  // namespace mc::db::detail
