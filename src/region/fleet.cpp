#include "region/fleet.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <thread>

#include "region/network.hpp"
#include "region/process.hpp"

namespace mc::region {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kReadyTimeout{15000};
constexpr milliseconds kDrainTimeout{15000};
constexpr milliseconds kInstanceStopGrace{12000};
constexpr milliseconds kUnhealthyAfter{2000};  // DOWN this long: replaced
constexpr milliseconds kLaunchGrace{5000};     // nothing is judged this soon after a launch

}  // namespace

std::string_view name_of(State s) {
  constexpr std::string_view kNames[] = {"starting", "in-service", "draining", "terminated"};  // in State's order
  const auto i = static_cast<std::size_t>(s);
  return i < std::size(kNames) ? kNames[i] : "?";
}

Fleet::Fleet(const RegionOptions& o, LoadBalancer& lb, EventLog& log) : o_(o), lb_(lb), log_(log) {
  for (int i = 0; i < o_.azs; ++i) zones_.emplace_back(1, static_cast<char>('a' + i));
}

std::optional<std::string> Fleet::start(std::map<std::string, std::string> env) {
  env_ = std::move(env);
  desired_ = o_.instances;
  EventLog::step(fmt::format("Starting {} instances", desired_));
  while (live_count() < desired_) {
    if (auto err = launch(zone_for_launch(zone_counts()))) return err;
  }
  return std::nullopt;
}

std::optional<std::string> Fleet::launch(const std::string& zone) {
  Instance inst;
  inst.az = zone;
  inst.id = fmt::format("i-{}{}", zone, ++launched_);
  std::string netns;
  if (net_ != nullptr) {
    auto host = net_->add_host(inst.id, "app", zone);
    if (!host) return fmt::format("cannot make a host for {}: {}", inst.id, host.error());
    inst.address = host->address;
    inst.port = kAppPort;
    netns = host->netns_path();
  } else {
    inst.address = o_.host;
    inst.port = free_port(o_.host);
    if (inst.port == 0) return std::string("no free port for an instance");
  }
  auto give_back = [&] {
    if (net_ != nullptr) net_->remove_host(inst.id);
  };
  std::vector<std::string> argv{o_.program,      "serve",
                                "--host",        inst.address,
                                "--port",        std::to_string(inst.port),
                                "--instance-id", inst.id,
                                "--az",          inst.az,
                                "--threads",     std::to_string(o_.threads),
                                "--web-root",    o_.web_root,
                                "--session",     std::string(to_string(o_.session))};
  if (!o_.config_file.empty()) {
    argv.emplace_back("--config");
    argv.push_back(o_.config_file);
  }
  const auto started = Clock::now();
  inst.pid = spawn(argv, env_, fmt::format("{}/logs/{}.log", o_.state_dir, inst.id), netns);
  if (inst.pid < 0) {
    const std::string why = std::strerror(errno);
    give_back();
    return fmt::format("cannot start an instance: {}", why);
  }
  // Like an auto-scaling group's health-check grace: the instance joins the load balancer once it
  // answers /readyz, and takes traffic once HAProxy's own checks agree.
  while (http_status(inst.address, inst.port, "/readyz", milliseconds(300)) != 200) {
    if (auto status = reap(inst.pid)) {
      give_back();
      return fmt::format("instance {} exited during start-up; read {}/logs/{}.log", inst.id, o_.state_dir, inst.id);
    }
    if (Clock::now() - started > kReadyTimeout) {
      region::stop(inst.pid, milliseconds(2000));
      give_back();
      return fmt::format("instance {} was not ready within {} s; read {}/logs/{}.log", inst.id,
                         kReadyTimeout.count() / 1000, o_.state_dir, inst.id);
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  const auto ready_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
  if (auto err = lb_.add(inst.id, inst.address, inst.port)) {
    region::stop(inst.pid, milliseconds(2000));
    give_back();
    return err;
  }
  inst.in_lb = true;
  inst.state = State::kInService;
  inst.launched = Clock::now();
  log_.event(fmt::format("launched {} in zone {} at {}:{} (ready in {} ms)", inst.id, inst.az, inst.address, inst.port,
                         ready_ms));
  instances_.push_back(std::move(inst));
  return std::nullopt;
}

void Fleet::deregister(Instance& inst) {
  if (!inst.in_lb) return;
  if (auto kept = lb_.remove(inst.id)) log_.event(fmt::format("warning: HAProxy kept {}: {}", inst.id, *kept));
  inst.in_lb = false;
}

// Scale-in of one instance: no new requests (drain), the ones in flight finish, then it stops.
void Fleet::retire(Instance& inst) {
  inst.state = State::kDraining;
  lb_.drain(inst.id);
  const auto until = Clock::now() + kDrainTimeout;
  // At least one health-check interval so that a request HAProxy has just routed is counted.
  std::this_thread::sleep_for(lb_.check_interval());
  while (Clock::now() < until) {
    refresh_stats();
    if (inst.lb_status == "-" || lb_.current_of(inst.id) == 0) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  deregister(inst);
  region::stop(inst.pid, kInstanceStopGrace);
  inst.state = State::kTerminated;
  log_.event(fmt::format("drained and stopped {} (zone {})", inst.id, inst.az));
}

Instance* Fleet::find(const std::string& id) {
  for (auto& i : instances_) {
    if (i.id == id && i.state != State::kTerminated) return &i;
  }
  return nullptr;
}

int Fleet::live_count() const {
  return static_cast<int>(std::count_if(instances_.begin(), instances_.end(), [](const Instance& i) {
    return i.state == State::kStarting || i.state == State::kInService;
  }));
}

void Fleet::reap_crashed() {
  for (auto& inst : instances_) {
    if (inst.state == State::kTerminated || inst.pid < 0) continue;
    if (auto status = reap(inst.pid)) {
      inst.pid = -1;
      inst.state = State::kTerminated;
      inst.died = Clock::now();
      log_.event(fmt::format("{} (zone {}) died ({}); HAProxy's health checks take it out, a replacement starts",
                             inst.id, inst.az,
                             WIFSIGNALED(*status) ? fmt::format("signal {}", WTERMSIG(*status))
                                                  : fmt::format("exit {}", WEXITSTATUS(*status))));
    }
  }
}

// A crashed instance leaves the load balancer once HAProxy has seen it down (as a real one would),
// or after a few seconds at most.
void Fleet::deregister_dead() {
  for (auto& inst : instances_) {
    if (inst.state != State::kTerminated || !inst.in_lb) continue;
    if (inst.lb_status.starts_with("DOWN") || Clock::now() - inst.died > seconds(5)) deregister(inst);
  }
  forget_terminated();
}

void Fleet::replace_unhealthy() {
  const auto now = Clock::now();
  // When no instance passes its checks, what fails is something they all share (the database, every zone
  // cut off), not an instance: replacing them would only take the fleet down with it.
  const bool any_healthy = std::any_of(instances_.begin(), instances_.end(), [](const Instance& i) {
    return i.state == State::kInService && i.lb_status.starts_with("UP");
  });
  if (!any_healthy) {
    if (!fleet_down_noted_ && std::any_of(instances_.begin(), instances_.end(), [](const Instance& i) {
          return i.state == State::kInService && i.lb_down_since.has_value();
        })) {
      log_.event(
          "every instance fails the load balancer's health checks: a shared dependency is down, so none is "
          "replaced");
      fleet_down_noted_ = true;
    }
    return;
  }
  fleet_down_noted_ = false;
  for (auto& inst : instances_) {
    if (inst.state != State::kInService || !inst.lb_down_since || now - inst.launched < kLaunchGrace) continue;
    if (now - *inst.lb_down_since < kUnhealthyAfter) continue;
    const auto down_ms = std::chrono::duration_cast<milliseconds>(now - *inst.lb_down_since).count();
    deregister(inst);
    crash(inst);
    log_.event(
        fmt::format("{} (zone {}) failed the load balancer's health checks for {:.1f} s: terminated, a "
                    "replacement starts in a healthy zone",
                    inst.id, inst.az, static_cast<double>(down_ms) / 1000));
  }
  forget_terminated();
}

void Fleet::forget_terminated() {
  for (const auto& i : instances_) {
    if (i.state == State::kTerminated && !i.in_lb && net_ != nullptr) net_->remove_host(i.id);
  }
  std::erase_if(instances_, [](const Instance& i) { return i.state == State::kTerminated && !i.in_lb; });
}

void Fleet::replace_missing() {
  while (live_count() < desired_) {
    const auto counts = zone_counts();
    if (counts.empty()) return;  // every zone failed: nothing can be placed
    if (auto err = launch(zone_for_launch(counts))) {
      log_.event(fmt::format("warning: {}", *err));
      return;
    }
  }
}

void Fleet::refresh_stats(double elapsed) {
  if (!lb_.refresh()) return;
  for (auto& inst : instances_) {
    inst.lb_status = "-";
    for (const auto& s : lb_.stats()) {
      if (s.name != inst.id) continue;
      inst.lb_status = s.status;
      if (!s.status.starts_with("DOWN")) {
        inst.lb_down_since.reset();
      } else if (!inst.lb_down_since) {
        inst.lb_down_since = Clock::now();
      }
      if (elapsed > 0) inst.rps = static_cast<double>(s.total - inst.total) / elapsed;
      inst.total = s.total;
    }
  }
}

std::string Fleet::kill(const std::string& id) {
  Instance* inst = find(id);
  if (inst == nullptr) {
    return fmt::format(
        "error: no running instance {} (and no replica of that name); `myclothes region status` "
        "lists them\n",
        id);
  }
  const auto pid = crash(*inst);
  log_.event(fmt::format("killed {} (pid {}) with SIGKILL, like a crashed machine", id, pid));
  return fmt::format(
      "region: killed {} (zone {}, pid {}) with SIGKILL; HAProxy's health checks take it out and a replacement "
      "starts\n",
      id, inst->az, pid);
}

pid_t Fleet::crash(Instance& inst) {
  ::kill(inst.pid, SIGKILL);
  int status = 0;
  while (::waitpid(inst.pid, &status, 0) < 0 && errno == EINTR) {
  }
  const auto pid = inst.pid;
  inst.pid = -1;
  inst.state = State::kTerminated;
  inst.died = Clock::now();
  return pid;
}

void Fleet::stop() {
  // Instances drain in parallel (SIGTERM: readiness goes 503, in-flight requests finish).
  for (auto& inst : instances_) {
    if (inst.pid > 0) ::kill(inst.pid, SIGTERM);
  }
  for (auto& inst : instances_) {
    if (inst.pid > 0) region::stop(inst.pid, kInstanceStopGrace);
    inst.pid = -1;
  }
  if (!instances_.empty()) std::printf("==> Stopped %zu instance(s)\n", instances_.size());
  for (const auto& i : instances_) {
    if (net_ != nullptr) net_->remove_host(i.id);
  }
  instances_.clear();
}

}  // namespace mc::region
