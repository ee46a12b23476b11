// The supervisor: the loop that ties the region's parts together. It starts them in order (the control
// socket, the data tier, the load balancer, the fleet), then once a second looks after each and answers the
// verbs that arrive on the control socket, and stops them in the reverse order. Each part owns its state
// (data_tier.hpp, load_balancer.hpp, fleet.hpp, control.hpp, events.hpp); the status view renders them
// (status_view.hpp). State here: the options, and whether the region is stopping.

#include "region/region.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>

#include "region/control.hpp"
#include "region/data_tier.hpp"
#include "region/events.hpp"
#include "region/fleet.hpp"
#include "region/load_balancer.hpp"
#include "region/network.hpp"
#include "region/process.hpp"
#include "region/security_groups.hpp"
#include "region/status_view.hpp"
#include "session/session.hpp"

namespace mc::region {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

std::atomic<int> g_signal{0};
void on_signal(int signo) { g_signal.store(signo); }

class Supervisor final : public ControlTarget {
 public:
  explicit Supervisor(RegionOptions o)
      : o_(std::move(o)),
        log_(o_.live && ::isatty(STDOUT_FILENO) != 0),
        data_(o_, log_),
        lb_(o_),
        fleet_(o_, lb_, log_) {}

  int start() {
    if (auto err = prepare()) {
      std::fprintf(stderr, "region: %s\n", err->c_str());
      shutdown();
      return 1;
    }
    log_.event(
        fmt::format("region up: {} instances over zones {}, sessions {}{}, PostgreSQL {}, catalog cache {}, load "
                    "balancer {}",
                    fleet_.desired(), fmt::join(fleet_.zones(), ","), to_string(o_.session),
                    o_.sticky ? " + LB stickiness" : "", data_.summary(), o_.cache ? "on" : "off", lb_url(o_)));
    std::printf("region: the store is at %s (Ctrl-C or `myclothes region down` stops everything)\n",
                lb_url(o_).c_str());
    std::fflush(stdout);
    loop();
    shutdown();
    return 0;
  }

 private:
  std::optional<std::string> prepare() {
    std::error_code ec;
    fs::create_directories(o_.state_dir + "/logs", ec);
    if (ec) return fmt::format("cannot create {}: {}", o_.state_dir, ec.message());
    o_.state_dir = fs::absolute(o_.state_dir).lexically_normal().string();
    o_.data_dir = o_.data_dir.empty() ? o_.state_dir + "/data" : fs::absolute(o_.data_dir).lexically_normal().string();
    if (auto err = control_.claim(o_.state_dir)) return err;
    if (auto err = build_network()) return err;

    if (auto err = data_.read_layout()) return err;
    auto env = data_.env();
    // The instances learn each shopper's address from the load balancer's X-Forwarded-For, and believe it
    // from the load balancer only (its host in netns mode; on loopback everything is 127.0.0.1).
    env["MYCLOTHES_SERVER_TRUSTED_PROXIES"] = net_ ? net_->lb().address : o_.host;
    // Only the switch off is passed on: an instance configuration file keeps its say otherwise.
    if (!o_.cache) env["MYCLOTHES_CACHE_ENABLED"] = "false";
    if (o_.session == SessionMode::kCookie) {
      // Every instance must open what another sealed: one key list for the region. An operator's own keys
      // (the environment) win; otherwise the region makes a key that lives as long as it does.
      const char* given = std::getenv("MYCLOTHES_SESSION_COOKIE_KEYS");
      env["MYCLOTHES_SESSION_COOKIE_KEYS"] =
          given && *given ? std::string(given) : session::new_cookie_key(fmt::format("r{}", ::time(nullptr) % 100000));
    }
    if (auto err = data_.start(env)) return err;
    if (auto err = lb_.start()) return err;
    if (auto err = start_forwarder()) return err;
    return fleet_.start(std::move(env));
  }

  // The network mode (auto: netns when the machine allows it) and, in netns mode, the hosts: the router and
  // zones, the internet host, the load balancer's host and the data tier's.
  std::optional<std::string> build_network() {
    const auto why_not = o_.network == NetworkMode::kLoopback ? std::nullopt : netns_unavailable();
    if (o_.network == NetworkMode::kNetns && why_not) {
      return fmt::format("--network netns cannot run here: {}; run as root, or choose --network loopback", *why_not);
    }
    if (o_.network == NetworkMode::kAuto) o_.network = why_not ? NetworkMode::kLoopback : NetworkMode::kNetns;
    if (o_.network == NetworkMode::kLoopback) {
      log_.event(
          fmt::format("network loopback{}: every part on 127.0.0.1; zones are labels, security groups are not "
                      "enforced",
                      why_not ? fmt::format(" ({}; netns mode needs root)", *why_not) : std::string()));
      return std::nullopt;
    }
    auto groups = sg::load(o_.security_groups);
    if (!groups) return groups.error();
    const auto id = network_id(o_.state_dir);
    if (const auto left = leftover_namespaces(id); !left.empty()) {
      EventLog::step(
          fmt::format("Removing what a region of this state left running ({} namespaces mc-{}-*)", left.size(), id));
      auto removed = remove_network(id);
      if (!removed) return fmt::format("{}; then run `myclothes region cleanup`", removed.error());
    }
    std::vector<std::string> zones = fleet_.zones();
    while (zones.size() < 3) zones.emplace_back(1, static_cast<char>('a' + zones.size()));
    EventLog::step(fmt::format("Building the network: zones {} as bridges, each host its own namespace mc-{}-*",
                               fmt::join(zones, ","), id));
    net_.emplace(id, zones, std::move(*groups), o_.state_dir + "/net");
    if (auto err = net_->create()) return fmt::format("building the network: {}", *err);
    // The data tier's hosts, named as the services script lays them out.
    if (auto err = data_.read_layout()) return err;
    std::vector<NetHost> data;
    for (const auto& d : data_.hosts()) {
      auto h = net_->add_host(d.name, d.role, d.zone);
      if (!h) return fmt::format("building the network: {}", h.error());
      data.push_back(*h);
    }
    if (auto err = data_.place(data, net_->block())) return err;
    lb_.place(net_->lb().address, kLbPort, net_->lb().netns_path());
    fleet_.place_on(&*net_);
    log_.event(
        fmt::format("network netns {}: hosts in namespaces mc-{}-*, zones {} cut off by `fail-az`, security "
                    "groups from {}",
                    net_->block(), id, fmt::join(zones, ","), o_.security_groups));
    return std::nullopt;
  }

  // netns mode: the shoppers' URL on the machine (127.0.0.1:PORT) relayed to the load balancer from the
  // internet host, so that shoppers enter the region the way they do on AWS (docs/adr/0011).
  std::optional<std::string> start_forwarder() {
    if (!net_) return std::nullopt;
    if (http_status(o_.host, o_.lb_port, "/", std::chrono::milliseconds(300)) != 0) {
      return fmt::format("port {} on {} is already in use; stop what listens there or pick another --port", o_.lb_port,
                         o_.host);
    }
    // --proxy-protocol: HAProxy learns each shopper's own address (its X-Forwarded-For names them to the
    // instances), not the internet host's.
    forwarder_ = spawn({o_.program, "region", "forward", "--listen", fmt::format("{}:{}", o_.host, o_.lb_port), "--to",
                        fmt::format("{}:{}", net_->lb().address, kLbPort), "--netns", net_->internet().netns_path(),
                        "--proxy-protocol"},
                       {}, o_.state_dir + "/logs/forwarder.log");
    if (forwarder_ < 0) return fmt::format("cannot start the forwarder: {}", std::strerror(errno));
    for (int i = 0; i < 100; ++i) {
      if (http_status(o_.host, o_.lb_port, "/healthz", std::chrono::milliseconds(300)) != 0) return std::nullopt;
      if (reap(forwarder_)) {
        forwarder_ = -1;
        return fmt::format("the forwarder on {}:{} exited; read {}/logs/forwarder.log", o_.host, o_.lb_port,
                           o_.state_dir);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return fmt::format("nothing answers on {}:{} through the forwarder; read {}/logs/forwarder.log", o_.host,
                       o_.lb_port, o_.state_dir);
  }

  void loop() {
    auto last_stats = Clock::now() - seconds(1);
    auto last_draw = Clock::now() - seconds(1);
    while (!stopping_) {
      if (const int sig = g_signal.exchange(0)) {
        log_.event(fmt::format("signal {}: stopping the region", sig));
        break;
      }
      pollfd p{control_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 200) == 1) control_.serve(*this);
      reap_crashed();
      const auto now = Clock::now();
      if (now - last_stats >= seconds(1)) {
        const double elapsed = std::chrono::duration<double>(now - last_stats).count();
        fleet_.refresh_stats(elapsed);
        last_stats = now;
        data_.watch(stopping_, [this](const std::string& zone) { return net_ && net_->cut_off(zone); });
        fleet_.deregister_dead();
        fleet_.replace_unhealthy();
        fleet_.replace_missing();
      }
      if (log_.tty() && now - last_draw >= seconds(1)) {
        draw(status_table(view()), log_);
        last_draw = now;
      }
    }
  }

  void reap_crashed() {
    fleet_.reap_crashed();
    if (lb_.exited()) {
      log_.event(fmt::format("HAProxy exited; read {}/logs/haproxy.log. Stopping the region", o_.state_dir));
      stopping_ = true;
    }
    if (forwarder_ > 0 && reap(forwarder_)) {
      forwarder_ = -1;
      log_.event(fmt::format("the forwarder exited; read {}/logs/forwarder.log. Stopping the region", o_.state_dir));
      stopping_ = true;
    }
  }

  RegionView view() const {
    return RegionView{.options = o_,
                      .instances = fleet_.instances(),
                      .zones = fleet_.zones(),
                      .failed_zones = fleet_.failed_zones(),
                      .desired = fleet_.desired(),
                      .db = data_.servers(),
                      .redis_up = data_.redis_up(),
                      .redis_address = data_.redis_address(),
                      .ha = data_.ha(),
                      .net = net_ ? &*net_ : nullptr};
  }

  // ---- the verbs (ControlTarget) ----

  std::string status(bool json) override {
    fleet_.refresh_stats();
    return json ? boost::json::serialize(status_json(view())) + "\n" : status_table(view());
  }
  std::string kill(const std::string& target) override {
    return data_.is_data_node(target) ? data_.kill(target) : fleet_.kill(target);
  }
  std::string scale(const std::string& count) override { return fleet_.scale(count); }
  std::string fail_zone(const std::string& zone) override {
    if (!net_) return fleet_.fail_zone(zone, false);
    if (net_->cut_off(zone)) return fmt::format("error: zone {} is cut off already\n", zone);
    if (auto err = net_->cut_zone(zone)) return fmt::format("error: {}\n", *err);
    const auto& fleet_zones = fleet_.zones();
    const auto data = data_.in_zone(zone);
    const auto data_note =
        data.empty() || !data_.ha()
            ? std::string()
            : fmt::format(
                  "region: its data nodes ({}) are cut off with it: pg_auto_failover and the Sentinels "
                  "promote what they lose in the other zones\n",
                  fmt::join(data, ", "));
    if (!data_note.empty()) log_.event(fmt::format("zone {}: data nodes cut off: {}", zone, fmt::join(data, ", ")));
    if (std::find(fleet_zones.begin(), fleet_zones.end(), zone) != fleet_zones.end()) {
      return fleet_.fail_zone(zone, true) + data_note;
    }
    if (!data_note.empty()) return fmt::format("region: zone {} is cut off\n{}", zone, data_note);
    log_.event(fmt::format("zone {} cut off: the data tier is unreachable", zone));
    return fmt::format(
        "region: zone {} is cut off: it holds the data tier (PostgreSQL and Redis), which no instance reaches now; "
        "`myclothes region restore-az {}` reconnects it\n",
        zone, zone);
  }
  std::string restore_zone(const std::string& zone) override {
    if (!net_) return fleet_.restore_zone(zone);
    if (!net_->cut_off(zone)) return fmt::format("error: zone {} is not cut off\n", zone);
    if (auto err = net_->restore_zone(zone)) return fmt::format("error: {}\n", *err);
    const auto& fleet_zones = fleet_.zones();
    if (std::find(fleet_zones.begin(), fleet_zones.end(), zone) != fleet_zones.end()) {
      return fleet_.restore_zone(zone);
    }
    log_.event(fmt::format("zone {} reconnected", zone));
    return fmt::format("region: zone {} reconnected\n", zone);
  }
  std::string security_groups() override {
    if (!net_) {
      return fmt::format(
          "region: network {}: no security groups are enforced (every part on 127.0.0.1); the groups of {} apply "
          "in netns mode\n",
          to_string(o_.network), o_.security_groups);
    }
    return sg::render_text(net_->groups(), net_->sg_hosts());
  }
  std::string sg_check() override {
    if (!net_) return "error: sg-check needs the netns network (this region runs on loopback)\n";
    const auto probes = net_->check();
    auto text = sg::render_matrix(probes);
    if (!sg::all_as_expected(probes)) text += "error: the observed paths differ from the declared security groups\n";
    return text;
  }
  void down() override {
    stopping_ = true;
    log_.event("`region down`: stopping everything");
  }

  void shutdown() {
    control_.close();
    if (net_) {
      // Cut-off zones first reconnected: the instances drain and the data tier stops cleanly.
      for (const auto& z : net_->zones()) {
        if (net_->cut_off(z)) (void)net_->restore_zone(z);
      }
    }
    fleet_.stop();
    if (forwarder_ > 0) {
      region::stop(forwarder_, std::chrono::milliseconds(2000));
      forwarder_ = -1;
    }
    lb_.stop();
    data_.stop();
    if (net_) {
      net_->destroy();
      std::printf("==> Removed the network (namespaces mc-%s-*, link mc%s)\n", net_->id().c_str(), net_->id().c_str());
    }
    std::printf("region: stopped; nothing of it is left running\n");
    std::fflush(stdout);
    control_.answer_down(
        fmt::format("region: stopped the instances (drained), HAProxy, PostgreSQL ({}) and Redis; nothing is "
                    "left running\n",
                    data_.summary()));
  }

  RegionOptions o_;
  EventLog log_;
  ControlSocket control_;
  DataTier data_;
  LoadBalancer lb_;
  Fleet fleet_;
  std::optional<Network> net_;  // netns mode
  pid_t forwarder_ = -1;        // netns mode: 127.0.0.1:PORT -> the load balancer, from the internet host
  bool stopping_ = false;
};

}  // namespace

int up(const RegionOptions& options) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  Supervisor supervisor(options);
  return supervisor.start();
}

}  // namespace mc::region
