#pragma once

// The region's load balancer: HAProxy's configuration, rendered from the region's settings, and its
// runtime API (a Unix socket), through which instances join and leave without a reload.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc::region {

inline constexpr std::string_view kBackend = "app";

struct LbSettings {
  std::string bind_host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string state_dir;  // holds haproxy.sock and haproxy.pid
  // The listener expects a PROXY protocol header on every connection (the region's forwarder sends one).
  bool accept_proxy = false;
  // Stickiness like the AWS load balancer's: an inserted cookie that lives `cookie_lifetime` (AWS default:
  // one day); a request whose instance is gone moves to a healthy one (redispatch).
  bool sticky = false;
  std::string cookie_name = "MCLB";
  std::chrono::seconds cookie_lifetime{24 * 3600};
  std::string dynamic_cookie_key;  // servers added at run time get their cookie value from it
  std::chrono::milliseconds check_interval{500};
  int rise = 2;  // consecutive good checks before an instance gets traffic
  int fall = 2;  // consecutive failed checks before it loses it
};

// The whole haproxy.cfg: one frontend on `port`, one round-robin backend with active health checks on
// /readyz, retries and redispatch, and (optionally) cookie stickiness. The backend starts empty.
std::string render_config(const LbSettings& s);

// The runtime-API line that adds an instance, checked like the configuration says; it starts in
// maintenance and gets traffic once enabled and healthy.
std::string add_server_command(const LbSettings& s, std::string_view name, std::string_view host, std::uint16_t port);

// One server's line of `show stat`.
struct ServerStat {
  std::string name;
  std::string status;        // UP, DOWN, MAINT, DRAIN, "UP 1/2" while changing, ...
  std::int64_t current = 0;  // requests (sessions) in flight
  std::int64_t total = 0;    // requests (sessions) so far
  std::string check;         // last health check, e.g. L7OK, L7STS, L4CON
};

// The servers of `backend` in `show stat` CSV (the header line names the columns).
std::vector<ServerStat> parse_stats(std::string_view csv, std::string_view backend);

// Talks to HAProxy's runtime API: one command per connection, the answer is what HAProxy writes back.
class RuntimeApi {
 public:
  explicit RuntimeApi(std::string socket_path) : path_(std::move(socket_path)) {}
  // `quiet`: the longest wait for the next bytes of the answer.
  Expected<std::string, std::string> command(std::string_view line,
                                             std::chrono::milliseconds quiet = std::chrono::milliseconds(5000)) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mc::region
