#include "region/region.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/ids.hpp"
#include "region/haproxy.hpp"
#include "region/process.hpp"
#include "region/replicas.hpp"
#include "session/session.hpp"

namespace mc::region {

std::string zone_for_launch(const std::map<std::string, int>& counts) {
  std::string best;
  int fewest = 0;
  for (const auto& [zone, n] : counts) {
    if (best.empty() || n < fewest) {
      best = zone;
      fewest = n;
    }
  }
  return best;
}

std::string zone_for_removal(const std::map<std::string, int>& counts) {
  std::string best;
  int most = -1;
  for (const auto& [zone, n] : counts) {
    if (n >= most) {
      best = zone;
      most = n;
    }
  }
  return best;
}

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::atomic<int> g_signal{0};
void on_signal(int signo) { g_signal.store(signo); }

constexpr milliseconds kReadyTimeout{15000};
constexpr milliseconds kDrainTimeout{15000};
constexpr milliseconds kInstanceStopGrace{12000};
constexpr milliseconds kReplicaExitTimeout{5000};
constexpr milliseconds kRestarterGrace{60000};

std::string control_socket(const std::string& state_dir) { return state_dir + "/control.sock"; }

enum class State { kStarting, kInService, kDraining, kTerminated };

std::string_view name_of(State s) {
  switch (s) {
    case State::kStarting:
      return "starting";
    case State::kInService:
      return "in-service";
    case State::kDraining:
      return "draining";
    case State::kTerminated:
      return "terminated";
  }
  return "?";
}

struct Instance {
  std::string id;
  std::string az;
  std::uint16_t port = 0;
  pid_t pid = -1;
  State state = State::kStarting;
  bool in_lb = false;
  std::string lb_status = "-";
  std::int64_t total = 0;
  double rps = 0;
  Clock::time_point died{};  // when a crash was noticed (kTerminated while still in the LB)
};

// A read replica as the supervisor keeps it: its postmaster, and since when it has been down.
struct Replica {
  int n = 0;
  pid_t pid = -1;                               // its postmaster, -1 when not running
  std::optional<Clock::time_point> down_since;  // down, or up again but not streaming yet
  Clock::time_point next_start{};               // the earliest time to start it again
};

class Supervisor {
 public:
  explicit Supervisor(RegionOptions o)
      : o_(std::move(o)), api_(o_.state_dir + "/haproxy.sock"), tty_(o_.live && ::isatty(STDOUT_FILENO) != 0) {
    for (int i = 0; i < o_.azs; ++i) zones_.push_back(std::string(1, static_cast<char>('a' + i)));
    lb_.bind_host = o_.host;
    lb_.port = o_.lb_port;
    lb_.state_dir = o_.state_dir;
    lb_.sticky = o_.sticky;
    lb_.cookie_lifetime = o_.cookie_lifetime;
    lb_.dynamic_cookie_key = random_token(12);
    for (int n = 1; n <= o_.replicas; ++n) replicas_.push_back(Replica{.n = n});
  }

  int start() {
    if (auto err = prepare()) {
      std::fprintf(stderr, "region: %s\n", err->c_str());
      shutdown();
      return 1;
    }
    event(
        fmt::format("region up: {} instances over zones {}, sessions {}{}, PostgreSQL {}, catalog cache {}, load "
                    "balancer {}",
                    desired_, fmt::join(zones_, ","), to_string(o_.session), o_.sticky ? " + LB stickiness" : "",
                    database_summary(), o_.cache ? "on" : "off", lb_url()));
    std::printf("region: the store is at %s (Ctrl-C or `myclothes region down` stops everything)\n", lb_url().c_str());
    std::fflush(stdout);
    loop();
    shutdown();
    return 0;
  }

 private:
  // ---- start-up ----

  std::optional<std::string> prepare() {
    std::error_code ec;
    fs::create_directories(o_.state_dir + "/logs", ec);
    if (ec) return fmt::format("cannot create {}: {}", o_.state_dir, ec.message());
    o_.state_dir = fs::absolute(o_.state_dir).lexically_normal().string();
    o_.data_dir = o_.data_dir.empty() ? o_.state_dir + "/data" : fs::absolute(o_.data_dir).lexically_normal().string();
    lb_.state_dir = o_.state_dir;
    api_ = RuntimeApi(o_.state_dir + "/haproxy.sock");
    if (auto err = claim_control_socket()) return err;
    if (o_.network != NetworkMode::kLoopback) {
      return fmt::format(
          "--network {}: this version of the region runs on loopback only (every part on {}); run with --network "
          "loopback",
          to_string(o_.network), o_.host);
    }
    event("network loopback: every part on 127.0.0.1; zones are labels, security groups are not enforced");

    env_["MYCLOTHES_DB_PRIMARY"] = fmt::format("host=127.0.0.1 port={} dbname=myclothes user=myclothes", o_.pg_port);
    env_["MYCLOTHES_REDIS_HOST"] = "127.0.0.1";
    env_["MYCLOTHES_REDIS_PORT"] = std::to_string(o_.redis_port);
    // Catalog reads go to the replicas (set even when empty: an inherited list would point elsewhere).
    std::vector<std::string> replicas;
    for (const auto& r : replicas_) {
      replicas.push_back(fmt::format("host=127.0.0.1 port={} dbname=myclothes user=myclothes", replica_port(r.n)));
    }
    env_["MYCLOTHES_DB_REPLICAS"] = fmt::format("{}", fmt::join(replicas, ","));
    // Only the switch off is passed on: an instance configuration file keeps its say otherwise.
    if (!o_.cache) env_["MYCLOTHES_CACHE_ENABLED"] = "false";
    if (o_.session == SessionMode::kCookie) {
      // Every instance must open what another sealed: one key list for the region. An operator's own keys
      // (the environment) win; otherwise the region makes a key that lives as long as it does.
      const char* given = std::getenv("MYCLOTHES_SESSION_COOKIE_KEYS");
      env_["MYCLOTHES_SESSION_COOKIE_KEYS"] =
          given && *given ? std::string(given) : session::new_cookie_key(fmt::format("r{}", ::time(nullptr) % 100000));
    }

    if (o_.pg_port + o_.replicas > 65535) {
      return fmt::format("--pg-port {} leaves no room for {} replicas on the ports after it", o_.pg_port, o_.replicas);
    }
    // A replica that is not ours yet must find its port free (one of ours may still run from before).
    for (const auto& r : replicas_) {
      if (!running_postmaster(replica_dir(r.n)) && port_open(replica_port(r.n))) {
        return fmt::format("port {} ({}: --pg-port + {}) is already in use; pick another --pg-port", replica_port(r.n),
                           replica_name(r.n), r.n);
      }
    }
    step(fmt::format("Starting PostgreSQL ({}) and Redis", database_summary()));
    const std::string& data = o_.data_dir;
    data_started_ = true;
    if (region::run(services_command("start"), {}) != 0) {
      return fmt::format("the data tier did not start; read {}/pg.log, {}/replica-N.log and {}/redis/redis.log", data,
                         data, data);
    }
    monitor_.emplace(env_["MYCLOTHES_DB_PRIMARY"]);
    watch_databases();
    step("Migrating the database");
    if (region::run({o_.program, "migrate", "--dir", o_.migrations}, env_) != 0)
      return std::string("migrate failed (above)");
    step("Seeding the catalog when it is empty");
    std::vector<std::string> seed{o_.program, "seed", "--if-empty"};
    if (o_.products > 0) {
      seed.push_back("--products");
      seed.push_back(std::to_string(o_.products));
    }
    if (region::run(seed, env_) != 0) return std::string("seed failed (above)");

    step(fmt::format("Starting HAProxy on {}:{}", o_.host, o_.lb_port));
    if (http_status(o_.host, o_.lb_port, "/", milliseconds(300)) != 0) {
      return fmt::format("port {} on {} is already in use; stop what listens there or pick another --port", o_.lb_port,
                         o_.host);
    }
    {
      std::ofstream cfg(o_.state_dir + "/haproxy.cfg");
      cfg << render_config(lb_);
    }
    ::unlink((o_.state_dir + "/haproxy.sock").c_str());
    haproxy_ =
        spawn({haproxy_binary(), "-db", "-f", o_.state_dir + "/haproxy.cfg"}, {}, o_.state_dir + "/logs/haproxy.log");
    if (haproxy_ < 0) return fmt::format("cannot start haproxy: {}", std::strerror(errno));
    for (int i = 0; i < 100 && !api_.command("show info"); ++i) {
      if (reap(haproxy_)) {
        haproxy_ = -1;
        return fmt::format("haproxy exited at start; read {}/logs/haproxy.log", o_.state_dir);
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    if (!api_.command("show info")) return std::string("haproxy's runtime API did not come up");

    desired_ = o_.instances;
    step(fmt::format("Starting {} instances", desired_));
    while (live_count() < desired_) {
      if (auto err = launch(zone_for_launch(zone_counts()))) return err;
    }
    return std::nullopt;
  }

  // ---- the database servers ----

  std::string database_summary() const {
    if (o_.replicas == 0) return "primary, no read replicas";
    return fmt::format("primary + {} read replica{}", o_.replicas, o_.replicas == 1 ? "" : "s");
  }

  std::vector<std::string> services_command(const std::string& verb) const {
    return {o_.services,    verb,
            "--state",      o_.data_dir,
            "--pg-port",    std::to_string(o_.pg_port),
            "--redis-port", std::to_string(o_.redis_port),
            "--replicas",   std::to_string(o_.replicas)};
  }

  std::string replica_dir(int n) const { return fmt::format("{}/{}", o_.data_dir, replica_name(n)); }
  std::uint16_t replica_port(int n) const { return static_cast<std::uint16_t>(o_.pg_port + n); }

  bool streaming(int n) const {
    if (!replication_) return false;
    return std::any_of(replication_->begin(), replication_->end(), [&](const ReplicationRow& row) {
      return row.name == replica_name(n) && row.state == "streaming";
    });
  }

  std::vector<DbServer> db_view() const {
    std::vector<pid_t> pids;
    for (const auto& r : replicas_) pids.push_back(r.pid);
    return db_servers(o_.pg_port, o_.replicas, replication_, pids);
  }

  // About once a second: the primary's view of the replicas, which replicas' postmasters live, and the
  // restart of the dead ones. A replica that died is started again after kReplicaRestartDelay by running
  // the services script's (idempotent) start, like a managed database service recovering a failed host;
  // the script runs in the background so the loop goes on meanwhile.
  void watch_databases() {
    if (monitor_) {
      const bool answered = replication_.has_value();
      replication_ = monitor_->look();
      if (answered && !replication_) {
        event(fmt::format("warning: the PostgreSQL primary does not answer: {}", monitor_->last_error()));
      } else if (!answered && replication_ && primary_seen_) {
        event("the PostgreSQL primary answers again");
      }
      primary_seen_ = primary_seen_ || replication_.has_value();
    }
    const auto now = Clock::now();
    for (auto& r : replicas_) {
      r.pid = running_postmaster(replica_dir(r.n)).value_or(-1);
      if (r.pid < 0 && !r.down_since) {
        r.down_since = now;
        r.next_start = now + kReplicaRestartDelay;
        event(
            fmt::format("{} is down (no postmaster); the instances take it out of their rotation, the region "
                        "starts it again in {} s",
                        replica_name(r.n), kReplicaRestartDelay.count()));
      } else if (r.down_since && r.pid > 0 && streaming(r.n)) {
        event(fmt::format("{} is back: streaming from the primary again ({:.1f} s after it went down)",
                          replica_name(r.n), std::chrono::duration<double>(now - *r.down_since).count()));
        r.down_since.reset();
      }
    }
    if (restarter_ > 0) {
      if (auto status = reap(restarter_)) {
        restarter_ = -1;
        if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
          event(
              fmt::format("warning: starting the replicas again failed; read {}/logs/services.log. Trying again "
                          "in {} s",
                          o_.state_dir, kReplicaRestartDelay.count()));
        }
        for (auto& r : replicas_) r.next_start = now + kReplicaRestartDelay;
      }
    }
    if (restarter_ > 0 || stopping_) return;
    std::vector<std::string> due;
    for (const auto& r : replicas_) {
      if (r.pid < 0 && r.down_since && now >= r.next_start) due.push_back(replica_name(r.n));
    }
    if (due.empty()) return;
    restarter_ = spawn(services_command("start"), {}, o_.state_dir + "/logs/services.log");
    if (restarter_ < 0) {
      event(fmt::format("warning: cannot run {}: {}", o_.services, std::strerror(errno)));
      for (auto& r : replicas_) r.next_start = now + kReplicaRestartDelay;
      return;
    }
    event(fmt::format("starting {} again ({} start; log {}/logs/services.log)", fmt::join(due, ", "), o_.services,
                      o_.state_dir));
  }

  // `region kill replica-N`: SIGKILL of its postmaster, like a crashed database host. Returns once the
  // postmaster is dead and its processes (which notice that by themselves) have gone with it.
  std::string kill_replica(int n) {
    Replica& r = replicas_.at(static_cast<std::size_t>(n - 1));
    const auto pid = running_postmaster(replica_dir(n));
    if (!pid) {
      return fmt::format("error: {} is not running (it is down; the region starts it again by itself)\n",
                         replica_name(n));
    }
    const auto children = children_of(*pid);
    ::kill(*pid, SIGKILL);
    const auto until = Clock::now() + kReplicaExitTimeout;
    while (process_alive(*pid) && Clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
    if (process_alive(*pid)) return fmt::format("error: {} (pid {}) survived SIGKILL\n", replica_name(n), *pid);
    while (Clock::now() < until &&
           std::any_of(children.begin(), children.end(), [](pid_t c) { return process_alive(c); })) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    const auto now = Clock::now();
    r.pid = -1;
    if (!r.down_since) r.down_since = now;
    r.next_start = now + kReplicaRestartDelay;
    event(
        fmt::format("killed {} (postmaster pid {}) with SIGKILL, like a crashed database host", replica_name(n), *pid));
    return fmt::format(
        "region: killed {} (postmaster pid {}, port {}) with SIGKILL, like a crashed database host; the instances "
        "take it out of their rotation and the region starts it again in about {} s\n",
        replica_name(n), *pid, replica_port(n), kReplicaRestartDelay.count());
  }

  static std::string haproxy_binary() {
    for (const char* p : {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"}) {
      if (::access(p, X_OK) == 0) return p;
    }
    return "/usr/sbin/haproxy";
  }

  std::optional<std::string> claim_control_socket() {
    const auto path = control_socket(o_.state_dir);
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return fmt::format("{}: the state directory's path is too long for a Unix socket; use a shorter --state", path);
    }
    // A socket that answers belongs to a running region; one that does not is left over from a crash.
    if (RuntimeApi(path).command("ping")) {
      return fmt::format("a region is already running with state {}; stop it with `myclothes region down`",
                         o_.state_dir);
    }
    ::unlink(path.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      return fmt::format("cannot listen on {}: {}", path, std::strerror(errno));
    }
    ::chmod(path.c_str(), 0600);
    return std::nullopt;
  }

  // ---- instances ----

  std::optional<std::string> launch(const std::string& zone) {
    Instance inst;
    inst.az = zone;
    inst.id = fmt::format("i-{}{}", zone, ++launched_);
    inst.port = free_port(o_.host);
    if (inst.port == 0) return std::string("no free port for an instance");
    std::vector<std::string> argv{o_.program,      "serve",
                                  "--host",        o_.host,
                                  "--port",        std::to_string(inst.port),
                                  "--instance-id", inst.id,
                                  "--az",          inst.az,
                                  "--threads",     std::to_string(o_.threads),
                                  "--web-root",    o_.web_root,
                                  "--session",     std::string(to_string(o_.session))};
    if (!o_.config_file.empty()) {
      argv.push_back("--config");
      argv.push_back(o_.config_file);
    }
    const auto started = Clock::now();
    inst.pid = spawn(argv, env_, fmt::format("{}/logs/{}.log", o_.state_dir, inst.id));
    if (inst.pid < 0) return fmt::format("cannot start an instance: {}", std::strerror(errno));
    // Like an auto-scaling group's health-check grace: the instance joins the load balancer once it
    // answers /readyz, and takes traffic once HAProxy's own checks agree.
    while (http_status(o_.host, inst.port, "/readyz", milliseconds(300)) != 200) {
      if (auto status = reap(inst.pid)) {
        return fmt::format("instance {} exited during start-up; read {}/logs/{}.log", inst.id, o_.state_dir, inst.id);
      }
      if (Clock::now() - started > kReadyTimeout) {
        stop(inst.pid, milliseconds(2000));
        return fmt::format("instance {} was not ready within {} s; read {}/logs/{}.log", inst.id,
                           kReadyTimeout.count() / 1000, o_.state_dir, inst.id);
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    const auto ready_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
    for (const auto& cmd :
         {add_server_command(lb_, inst.id, o_.host, inst.port), fmt::format("enable health {}/{}", kBackend, inst.id),
          fmt::format("enable server {}/{}", kBackend, inst.id)}) {
      auto answer = api_.command(cmd);
      if (!answer) return answer.error();
    }
    if (o_.sticky) (void)api_.command(fmt::format("enable dynamic-cookie backend {}", kBackend));
    inst.in_lb = true;
    inst.state = State::kInService;
    event(fmt::format("launched {} in zone {} on port {} (ready in {} ms)", inst.id, inst.az, inst.port, ready_ms));
    instances_.push_back(std::move(inst));
    return std::nullopt;
  }

  void deregister(Instance& inst) {
    if (!inst.in_lb) return;
    (void)api_.command(fmt::format("set server {}/{} state maint", kBackend, inst.id));
    (void)api_.command(fmt::format("shutdown sessions server {}/{}", kBackend, inst.id));
    auto answer = api_.command(fmt::format("del server {}/{}", kBackend, inst.id));
    if (!answer || answer->find("Server deleted") == std::string::npos) {
      event(fmt::format("warning: HAProxy kept {}: {}", inst.id, answer ? *answer : answer.error()));
    }
    inst.in_lb = false;
  }

  // Scale-in of one instance: no new requests (drain), the ones in flight finish, then it stops.
  void retire(Instance& inst) {
    inst.state = State::kDraining;
    (void)api_.command(fmt::format("set server {}/{} state drain", kBackend, inst.id));
    const auto until = Clock::now() + kDrainTimeout;
    // At least one health-check interval so that a request HAProxy has just routed is counted.
    std::this_thread::sleep_for(lb_.check_interval);
    while (Clock::now() < until) {
      refresh_stats();
      if (inst.lb_status == "-" || current_of(inst.id) == 0) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
    deregister(inst);
    stop(inst.pid, kInstanceStopGrace);
    inst.state = State::kTerminated;
    event(fmt::format("drained and stopped {} (zone {})", inst.id, inst.az));
  }

  std::int64_t current_of(const std::string& id) {
    for (const auto& s : stats_) {
      if (s.name == id) return s.current;
    }
    return 0;
  }

  int live_count() const {
    return static_cast<int>(std::count_if(instances_.begin(), instances_.end(), [](const Instance& i) {
      return i.state == State::kStarting || i.state == State::kInService;
    }));
  }

  std::map<std::string, int> zone_counts() const {
    std::map<std::string, int> counts;
    for (const auto& z : zones_) {
      if (!failed_zones_.contains(z)) counts[z] = 0;
    }
    for (const auto& i : instances_) {
      if ((i.state == State::kInService || i.state == State::kStarting) && counts.contains(i.az)) ++counts[i.az];
    }
    return counts;
  }

  // ---- the loop ----

  void loop() {
    auto last_stats = Clock::now() - seconds(1);
    auto last_draw = Clock::now() - seconds(1);
    while (!stopping_) {
      if (const int sig = g_signal.exchange(0)) {
        event(fmt::format("signal {}: stopping the region", sig));
        break;
      }
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) == 1) serve_control();
      reap_crashed();
      const auto now = Clock::now();
      if (now - last_stats >= seconds(1)) {
        const double elapsed = std::chrono::duration<double>(now - last_stats).count();
        refresh_stats(elapsed);
        last_stats = now;
        watch_databases();
        deregister_dead();
        replace_missing();
      }
      if (tty_ && now - last_draw >= seconds(1)) {
        draw();
        last_draw = now;
      }
    }
  }

  void reap_crashed() {
    for (auto& inst : instances_) {
      if (inst.state == State::kTerminated || inst.pid < 0) continue;
      if (auto status = reap(inst.pid)) {
        inst.pid = -1;
        inst.state = State::kTerminated;
        inst.died = Clock::now();
        event(fmt::format("{} (zone {}) died ({}); HAProxy's health checks take it out, a replacement starts", inst.id,
                          inst.az,
                          WIFSIGNALED(*status) ? fmt::format("signal {}", WTERMSIG(*status))
                                               : fmt::format("exit {}", WEXITSTATUS(*status))));
      }
    }
    if (haproxy_ > 0 && reap(haproxy_)) {
      haproxy_ = -1;
      event(fmt::format("HAProxy exited; read {}/logs/haproxy.log. Stopping the region", o_.state_dir));
      stopping_ = true;
    }
  }

  // A crashed instance leaves the load balancer once HAProxy has seen it down (as a real one would),
  // or after a few seconds at most.
  void deregister_dead() {
    for (auto& inst : instances_) {
      if (inst.state != State::kTerminated || !inst.in_lb) continue;
      if (inst.lb_status.starts_with("DOWN") || Clock::now() - inst.died > seconds(5)) deregister(inst);
    }
    std::erase_if(instances_, [](const Instance& i) { return i.state == State::kTerminated && !i.in_lb; });
  }

  void replace_missing() {
    while (live_count() < desired_) {
      const auto counts = zone_counts();
      if (counts.empty()) return;  // every zone failed: nothing can be placed
      if (auto err = launch(zone_for_launch(counts))) {
        event(fmt::format("warning: {}", *err));
        return;
      }
    }
  }

  void refresh_stats(double elapsed = 0) {
    auto csv = api_.command("show stat");
    if (!csv) return;
    stats_ = parse_stats(*csv, kBackend);
    for (auto& inst : instances_) {
      inst.lb_status = "-";
      for (const auto& s : stats_) {
        if (s.name != inst.id) continue;
        inst.lb_status = s.status;
        if (elapsed > 0) inst.rps = static_cast<double>(s.total - inst.total) / elapsed;
        inst.total = s.total;
      }
    }
  }

  // ---- control ----

  void serve_control() {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string line;
    char buf[512];
    while (line.find('\n') == std::string::npos && line.size() < 1024) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) != 1) break;
      const auto n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    if (line == "down") {
      // Answered once everything has stopped, so that `region down` returns when it happened.
      stopping_ = true;
      down_fd_ = fd;
      event("`region down`: stopping everything");
      return;
    }
    reply(fd, handle(line));
  }

  static void reply(int fd, const std::string& answer) {
    for (std::size_t sent = 0; sent < answer.size();) {
      const auto n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

  std::string handle(const std::string& line) {
    std::istringstream in(line);
    std::string verb, arg;
    in >> verb >> arg;
    if (verb == "ping") return "pong\n";
    if (verb == "status") {
      refresh_stats();
      return arg == "--json" ? json::serialize(status_json()) + "\n" : status_table();
    }
    if (verb == "kill") {
      if (auto n = replica_number(arg, o_.replicas)) return kill_replica(*n);
      return kill(arg);
    }
    if (verb == "scale") return scale(arg);
    if (verb == "fail-az") return fail_zone(arg);
    if (verb == "restore-az") return restore_zone(arg);
    return fmt::format("error: unknown command \"{}\"; try status, kill ID, scale N, fail-az AZ, restore-az AZ, down\n",
                       verb);
  }

  Instance* find(const std::string& id) {
    for (auto& i : instances_) {
      if (i.id == id && i.state != State::kTerminated) return &i;
    }
    return nullptr;
  }

  std::string kill(const std::string& id) {
    Instance* inst = find(id);
    if (inst == nullptr) {
      return fmt::format(
          "error: no running instance {} (and no replica of that name); `myclothes region status` "
          "lists them\n",
          id);
    }
    ::kill(inst->pid, SIGKILL);
    int status = 0;
    while (::waitpid(inst->pid, &status, 0) < 0 && errno == EINTR) {
    }
    const auto pid = inst->pid;
    inst->pid = -1;
    inst->state = State::kTerminated;
    inst->died = Clock::now();
    event(fmt::format("killed {} (pid {}) with SIGKILL, like a crashed machine", id, pid));
    return fmt::format(
        "region: killed {} (zone {}, pid {}) with SIGKILL; HAProxy's health checks take it out and a replacement "
        "starts\n",
        id, inst->az, pid);
  }

  std::string scale(const std::string& arg) {
    int n = -1;
    try {
      n = std::stoi(arg);
    } catch (const std::exception&) {
    }
    if (n < 1 || n > kMaxInstances) return fmt::format("error: scale needs a count from 1 to {}\n", kMaxInstances);
    const int before = live_count();
    desired_ = n;
    std::vector<std::string> done;
    while (live_count() < desired_) {
      const auto counts = zone_counts();
      if (counts.empty()) return "error: every zone has failed; restore one with `myclothes region restore-az AZ`\n";
      if (auto err = launch(zone_for_launch(counts))) return fmt::format("error: {}\n", *err);
      done.push_back("launched " + instances_.back().id);
    }
    while (live_count() > desired_) {
      const auto zone = zone_for_removal(zone_counts());
      Instance* victim = nullptr;
      for (auto& i : instances_) {
        if (i.az == zone && i.state == State::kInService) victim = &i;  // the newest in that zone
      }
      if (victim == nullptr) break;
      retire(*victim);
      done.push_back("drained " + victim->id);
    }
    std::erase_if(instances_, [](const Instance& i) { return i.state == State::kTerminated && !i.in_lb; });
    return fmt::format("region: {} -> {} instances ({})\n", before, live_count(),
                       done.empty() ? std::string("nothing to do") : fmt::format("{}", fmt::join(done, ", ")));
  }

  std::string fail_zone(const std::string& zone) {
    if (std::find(zones_.begin(), zones_.end(), zone) == zones_.end()) {
      return fmt::format("error: no zone {} (zones: {})\n", zone, fmt::join(zones_, ", "));
    }
    failed_zones_.insert(zone);
    std::vector<std::string> killed;
    for (auto& inst : instances_) {
      if (inst.az != zone || inst.state == State::kTerminated) continue;
      ::kill(inst.pid, SIGKILL);
      int status = 0;
      while (::waitpid(inst.pid, &status, 0) < 0 && errno == EINTR) {
      }
      inst.pid = -1;
      inst.state = State::kTerminated;
      inst.died = Clock::now();
      killed.push_back(inst.id);
    }
    event(fmt::format("zone {} failed: killed {}", zone,
                      killed.empty() ? "nothing" : fmt::format("{}", fmt::join(killed, ", "))));
    return fmt::format(
        "region: zone {} is down (loopback: its instances were killed: {}); replacements go to the other zones\n", zone,
        killed.empty() ? std::string("none") : fmt::format("{}", fmt::join(killed, ", ")));
  }

  std::string restore_zone(const std::string& zone) {
    if (!failed_zones_.erase(zone)) return fmt::format("error: zone {} has not failed\n", zone);
    // Rebalance like an auto-scaling group: launch in the restored zone, then drain the surplus elsewhere.
    std::vector<std::string> moved;
    while (true) {
      const auto counts = zone_counts();
      const auto low = zone_for_launch(counts);
      const auto high = zone_for_removal(counts);
      if (counts.at(high) - counts.at(low) <= 1) break;
      if (auto err = launch(low)) return fmt::format("error: {}\n", *err);
      Instance* victim = nullptr;
      for (auto& i : instances_) {
        if (i.az == high && i.state == State::kInService) victim = &i;
      }
      if (victim == nullptr) break;
      retire(*victim);
      moved.push_back(fmt::format("{} -> {}", victim->id, instances_.back().id));
    }
    std::erase_if(instances_, [](const Instance& i) { return i.state == State::kTerminated && !i.in_lb; });
    event(fmt::format("zone {} restored", zone));
    return fmt::format("region: zone {} restored{}\n", zone,
                       moved.empty() ? std::string() : fmt::format("; rebalanced: {}", fmt::join(moved, ", ")));
  }

  // ---- status ----

  std::string lb_url() const { return fmt::format("http://{}:{}/", o_.host, o_.lb_port); }

  json::object status_json() const {
    json::array instances;
    for (const auto& i : instances_) {
      instances.emplace_back(json::object{{"id", i.id},
                                          {"az", i.az},
                                          {"state", name_of(i.state)},
                                          {"url", fmt::format("http://{}:{}/", o_.host, i.port)},
                                          {"pid", i.pid},
                                          {"lb", i.lb_status},
                                          {"rps", static_cast<std::int64_t>(std::lround(i.rps))}});
    }
    json::array db;
    for (const auto& s : db_view()) {
      json::object server{{"name", s.name}, {"role", s.role},
                          {"up", s.up},     {"state", s.state},
                          {"port", s.port}, {"url", fmt::format("postgresql://127.0.0.1:{}/myclothes", s.port)}};
      // null when not known: the primary does not list the replica (down, or not streaming yet).
      server["lag_bytes"] = s.lag_bytes ? json::value(*s.lag_bytes) : json::value(nullptr);
      if (s.role == "replica") server["pid"] = s.pid > 0 ? json::value(s.pid) : json::value(nullptr);
      db.emplace_back(std::move(server));
    }
    json::array zones;
    for (const auto& z : zones_) zones.emplace_back(json::object{{"name", z}, {"failed", failed_zones_.contains(z)}});
    return json::object{
        {"lb", lb_url()},
        {"network", to_string(o_.network)},
        {"session", to_string(o_.session)},
        {"sticky", o_.sticky},
        {"cache", o_.cache},
        {"replicas", o_.replicas},
        {"desired", desired_},
        {"zones", std::move(zones)},
        {"instances", std::move(instances)},
        {"db", std::move(db)},
        {"redis", json::array{json::object{{"name", "redis"},
                                           {"role", "master"},
                                           {"up", port_open(o_.redis_port)},
                                           {"url", fmt::format("redis://127.0.0.1:{}", o_.redis_port)}}}}};
  }

  static bool port_open(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (fd >= 0) ::close(fd);
    return ok;
  }

  std::string status_table() const {
    std::string out = fmt::format("MyClothes region  load balancer {}  sessions {}{}  network {}\n", lb_url(),
                                  to_string(o_.session), o_.sticky ? " (+ LB stickiness)" : "", to_string(o_.network));
    out += fmt::format("{:<10} {:<4} {:<11} {:<10} {:>8}  {}\n", "INSTANCE", "AZ", "STATE", "LB", "REQ/S", "URL");
    for (const auto& i : instances_) {
      out += fmt::format("{:<10} {:<4} {:<11} {:<10} {:>8.1f}  http://{}:{}/\n", i.id, i.az, name_of(i.state),
                         i.lb_status, i.rps, o_.host, i.port);
    }
    out += fmt::format(
        "desired {}, zones {}{}\n", desired_, fmt::join(zones_, ","),
        failed_zones_.empty() ? std::string() : fmt::format(" (failed: {})", fmt::join(failed_zones_, ",")));
    out += fmt::format("{:<10} {:<8} {:<14} {:>9}  {}\n", "DATABASE", "ROLE", "STATE", "LAG", "URL");
    for (const auto& s : db_view()) {
      out += fmt::format("{:<10} {:<8} {:<14} {:>9}  postgresql://127.0.0.1:{}/myclothes\n", s.name, s.role,
                         s.up || s.role == "replica" ? s.state : "DOWN (" + s.state + ")",
                         s.role == "replica" && s.lag_bytes ? format_bytes(*s.lag_bytes) : std::string("-"), s.port);
    }
    out += fmt::format("Redis 127.0.0.1:{} {}   catalog cache {}\n", o_.redis_port,
                       port_open(o_.redis_port) ? "up" : "DOWN", o_.cache ? "on" : "off (--no-cache)");
    return out;
  }

  void draw() {
    std::string screen = "\x1b[H\x1b[2J" + status_table() + "\nrecent events:\n";
    for (const auto& e : events_) screen += "  " + e + "\n";
    screen += "\nCtrl-C stops the region; `script/myclothes region --help` lists the other verbs.\n";
    std::fwrite(screen.data(), 1, screen.size(), stdout);
    std::fflush(stdout);
  }

  void event(const std::string& text) {
    std::time_t t = std::time(nullptr);
    char stamp[16];
    std::strftime(stamp, sizeof(stamp), "%H:%M:%S", std::localtime(&t));
    const std::string line = fmt::format("{} {}", stamp, text);
    events_.push_back(line);
    if (events_.size() > 8) events_.pop_front();
    if (!tty_) {
      std::printf("region: %s\n", line.c_str());
      std::fflush(stdout);
    }
  }

  void step(const std::string& text) {
    std::printf("==> %s\n", text.c_str());
    std::fflush(stdout);
  }

  // ---- shutdown ----

  void shutdown() {
    if (listen_fd_ >= 0) {
      ::close(listen_fd_);
      ::unlink(control_socket(o_.state_dir).c_str());
      listen_fd_ = -1;
    }
    // Instances drain in parallel (SIGTERM: readiness goes 503, in-flight requests finish).
    for (auto& inst : instances_) {
      if (inst.pid > 0) ::kill(inst.pid, SIGTERM);
    }
    for (auto& inst : instances_) {
      if (inst.pid > 0) stop(inst.pid, kInstanceStopGrace);
      inst.pid = -1;
    }
    if (!instances_.empty()) std::printf("==> Stopped %zu instance(s)\n", instances_.size());
    instances_.clear();
    if (haproxy_ > 0) {
      stop(haproxy_, milliseconds(3000));
      haproxy_ = -1;
      std::printf("==> Stopped HAProxy\n");
    }
    if (restarter_ > 0) {
      // A replica being started again finishes starting first, so that the stop below finds it.
      const auto until = Clock::now() + kRestarterGrace;
      bool done = false;
      while (!(done = reap(restarter_).has_value()) && Clock::now() < until) {
        std::this_thread::sleep_for(milliseconds(50));
      }
      if (!done) stop(restarter_, milliseconds(3000));
      restarter_ = -1;
    }
    monitor_.reset();
    if (data_started_) {
      std::fflush(stdout);
      region::run(services_command("stop"), {});
      data_started_ = false;
    }
    std::printf("region: stopped; nothing of it is left running\n");
    std::fflush(stdout);
    if (down_fd_ >= 0) {
      reply(down_fd_,
            fmt::format("region: stopped the instances (drained), HAProxy, PostgreSQL ({}) and Redis; nothing is "
                        "left running\n",
                        database_summary()));
      down_fd_ = -1;
    }
  }

  RegionOptions o_;
  RuntimeApi api_;
  LbSettings lb_;
  bool tty_;
  std::vector<std::string> zones_;
  std::set<std::string> failed_zones_;
  std::map<std::string, std::string> env_;
  std::vector<Instance> instances_;
  std::vector<ServerStat> stats_;
  std::vector<Replica> replicas_;
  std::optional<ReplicationMonitor> monitor_;
  std::optional<std::vector<ReplicationRow>> replication_;  // the primary's last answer; nullopt: none
  pid_t restarter_ = -1;                                    // `services start` bringing replicas back
  bool primary_seen_ = false;
  std::deque<std::string> events_;
  int desired_ = 0;
  int launched_ = 0;
  int listen_fd_ = -1;
  int down_fd_ = -1;  // the `region down` waiting for its answer
  pid_t haproxy_ = -1;
  bool data_started_ = false;
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

int control(const std::string& state_dir, const std::string& command) {
  const auto path = control_socket(fs::absolute(state_dir).lexically_normal().string());
  auto answer = RuntimeApi(path).command(command);
  if (!answer) {
    std::fprintf(stderr,
                 "region: no region is running with state %s (nothing answers on %s)\n  next: start one with "
                 "`script/server` or `script/myclothes region up`\n",
                 state_dir.c_str(), path.c_str());
    return 1;
  }
  std::fwrite(answer->data(), 1, answer->size(), stdout);
  return answer->starts_with("error:") ? 1 : 0;
}

}  // namespace mc::region
