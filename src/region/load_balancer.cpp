#include "region/load_balancer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/ids.hpp"
#include "region/events.hpp"
#include "region/process.hpp"

namespace mc::region {
namespace {

using std::chrono::milliseconds;

std::string haproxy_binary() {
  for (const char* p : {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "/usr/sbin/haproxy";
}

}  // namespace

LoadBalancer::LoadBalancer(const RegionOptions& o) : o_(o), api_(o.state_dir + "/haproxy.sock") {
  settings_.bind_host = o_.host;
  settings_.port = o_.lb_port;
  settings_.state_dir = o_.state_dir;
  settings_.sticky = o_.sticky;
  settings_.cookie_lifetime = o_.cookie_lifetime;
  settings_.dynamic_cookie_key = random_token(12);
}

void LoadBalancer::place(const std::string& address, std::uint16_t port, const std::string& netns) {
  settings_.bind_host = address;
  settings_.port = port;
  settings_.accept_proxy = true;  // its one client is the forwarder, which names each shopper
  netns_ = netns;
}

std::optional<std::string> LoadBalancer::start() {
  settings_.state_dir = o_.state_dir;
  api_ = RuntimeApi(o_.state_dir + "/haproxy.sock");
  EventLog::step(fmt::format("Starting HAProxy on {}:{}", settings_.bind_host, settings_.port));
  if (netns_.empty() && http_status(o_.host, o_.lb_port, "/", milliseconds(300)) != 0) {
    return fmt::format("port {} on {} is already in use; stop what listens there or pick another --port", o_.lb_port,
                       o_.host);
  }
  {
    std::ofstream cfg(o_.state_dir + "/haproxy.cfg");
    cfg << render_config(settings_);
  }
  ::unlink((o_.state_dir + "/haproxy.sock").c_str());
  haproxy_ = spawn({haproxy_binary(), "-db", "-f", o_.state_dir + "/haproxy.cfg"}, {},
                   o_.state_dir + "/logs/haproxy.log", netns_);
  if (haproxy_ < 0) return fmt::format("cannot start haproxy: {}", std::strerror(errno));
  for (int i = 0; i < 100 && !api_.command("show info"); ++i) {
    if (reap(haproxy_)) {
      haproxy_ = -1;
      return fmt::format("haproxy exited at start; read {}/logs/haproxy.log", o_.state_dir);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  if (!api_.command("show info")) return std::string("haproxy's runtime API did not come up");
  return std::nullopt;
}

std::optional<std::string> LoadBalancer::add(const std::string& id, const std::string& address, std::uint16_t port) {
  for (const auto& cmd :
       {add_server_command(settings_, id, address, port), fmt::format("enable health {}/{}", kBackend, id),
        fmt::format("enable server {}/{}", kBackend, id)}) {
    auto answer = api_.command(cmd);
    if (!answer) return answer.error();
  }
  if (o_.sticky) (void)api_.command(fmt::format("enable dynamic-cookie backend {}", kBackend));
  return std::nullopt;
}

void LoadBalancer::drain(const std::string& id) {
  (void)api_.command(fmt::format("set server {}/{} state drain", kBackend, id));
}

std::optional<std::string> LoadBalancer::remove(const std::string& id) {
  (void)api_.command(fmt::format("set server {}/{} state maint", kBackend, id));
  (void)api_.command(fmt::format("shutdown sessions server {}/{}", kBackend, id));
  auto answer = api_.command(fmt::format("del server {}/{}", kBackend, id));
  if (!answer || answer->find("Server deleted") == std::string::npos) return answer ? *answer : answer.error();
  return std::nullopt;
}

bool LoadBalancer::refresh() {
  auto csv = api_.command("show stat");
  if (!csv) return false;
  stats_ = parse_stats(*csv, kBackend);
  return true;
}

std::int64_t LoadBalancer::current_of(const std::string& id) const {
  for (const auto& s : stats_) {
    if (s.name == id) return s.current;
  }
  return 0;
}

bool LoadBalancer::exited() {
  if (haproxy_ > 0 && reap(haproxy_)) {
    haproxy_ = -1;
    return true;
  }
  return false;
}

void LoadBalancer::stop() {
  if (haproxy_ > 0) {
    region::stop(haproxy_, milliseconds(3000));
    haproxy_ = -1;
    std::printf("==> Stopped HAProxy\n");
  }
}

}  // namespace mc::region
