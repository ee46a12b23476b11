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

#include "region/control.hpp"
#include "region/data_tier.hpp"
#include "region/events.hpp"
#include "region/fleet.hpp"
#include "region/load_balancer.hpp"
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
    if (o_.network != NetworkMode::kLoopback) {
      return fmt::format(
          "--network {}: this version of the region runs on loopback only (every part on {}); run with --network "
          "loopback",
          to_string(o_.network), o_.host);
    }
    log_.event("network loopback: every part on 127.0.0.1; zones are labels, security groups are not enforced");

    if (auto err = data_.read_layout()) return err;
    auto env = data_.env();
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
    return fleet_.start(std::move(env));
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
        data_.watch(stopping_);
        fleet_.deregister_dead();
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
  }

  RegionView view() const {
    return RegionView{.options = o_,
                      .instances = fleet_.instances(),
                      .zones = fleet_.zones(),
                      .failed_zones = fleet_.failed_zones(),
                      .desired = fleet_.desired(),
                      .db = data_.servers(),
                      .redis_up = data_.redis_up()};
  }

  // ---- the verbs (ControlTarget) ----

  std::string status(bool json) override {
    fleet_.refresh_stats();
    return json ? boost::json::serialize(status_json(view())) + "\n" : status_table(view());
  }
  std::string kill(const std::string& target) override {
    return data_.is_replica(target) ? data_.kill_replica(target) : fleet_.kill(target);
  }
  std::string scale(const std::string& count) override { return fleet_.scale(count); }
  std::string fail_zone(const std::string& zone) override { return fleet_.fail_zone(zone); }
  std::string restore_zone(const std::string& zone) override { return fleet_.restore_zone(zone); }
  void down() override {
    stopping_ = true;
    log_.event("`region down`: stopping everything");
  }

  void shutdown() {
    control_.close();
    fleet_.stop();
    lb_.stop();
    data_.stop();
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
