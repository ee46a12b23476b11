#include "region/network.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "region/process.hpp"
#include "region/replicas.hpp"

namespace mc::region {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kRouter = "router";
constexpr int kBlocks = 16;  // /20 blocks in 10.92.0.0/16
constexpr int kAppFirst = 10;
constexpr int kAppLast = 99;
constexpr int kDataFirst = 200;
constexpr int kDataLast = 254;
constexpr milliseconds kProbeTimeout{1200};
constexpr milliseconds kStopGrace{5000};

std::string ip_binary() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "ip";
}

std::string nft_binary() {
  for (const char* p : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "nft";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The third octets of 10.92.X.Y addresses that appear in `text` (`ip addr` and `ip route` output).
std::set<int> used_octets(const std::string& text) {
  std::set<int> out;
  for (std::size_t at = text.find("10.92."); at != std::string::npos; at = text.find("10.92.", at + 1)) {
    out.insert(std::atoi(text.c_str() + at + 6));
  }
  return out;
}

std::vector<pid_t> pids_in(const std::string& netns) {
  std::vector<pid_t> out;
  auto text = capture({ip_binary(), "netns", "pids", netns});
  if (!text) return out;
  for (const auto& line : lines_of(*text)) {
    const pid_t pid = std::atoi(line.c_str());
    if (pid > 0 && pid != ::getpid()) out.push_back(pid);
  }
  return out;
}

// SIGTERM to every process of the namespaces, SIGKILL to what is left after a grace; the number it stopped.
std::size_t stop_processes(const std::vector<std::string>& namespaces) {
  std::vector<pid_t> pids;
  for (const auto& n : namespaces) {
    for (const auto p : pids_in(n)) pids.push_back(p);
  }
  for (const auto p : pids) ::kill(p, SIGTERM);
  const auto until = Clock::now() + kStopGrace;
  auto alive = [&] { return std::any_of(pids.begin(), pids.end(), [](pid_t p) { return process_alive(p); }); };
  while (alive() && Clock::now() < until) {
    for (const auto p : pids) (void)reap(p);  // our own children are reaped here, others by their parents
    std::this_thread::sleep_for(milliseconds(50));
  }
  for (const auto p : pids) {
    if (process_alive(p)) ::kill(p, SIGKILL);
  }
  return pids.size();
}

// One TCP connect from the calling thread's namespace: open (connected, or refused by a host that has no
// listener: the path is open), or not (dropped, unreachable).
struct Attempt {
  int fd = -1;
  bool done = false;
};

void probe_all(const std::string& netns_path, std::vector<sg::Probe*>& probes,
               const std::map<std::string, std::string>& address_of) {
  if (!netns_path.empty()) {
    const int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      for (auto* p : probes) p->detail = fmt::format("cannot enter {}: {}", netns_path, std::strerror(errno));
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
  }
  std::vector<Attempt> attempts(probes.size());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    auto& a = attempts[i];
    a.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(probes[i]->port);
    ::inet_pton(AF_INET, address_of.at(probes[i]->to).c_str(), &addr.sin_addr);
    if (::connect(a.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      probes[i]->observed = true;
      probes[i]->detail = "connected";
      a.done = true;
    } else if (errno != EINPROGRESS) {
      probes[i]->observed = errno == ECONNREFUSED;
      probes[i]->detail = std::strerror(errno);
      a.done = true;
    }
  }
  const auto until = Clock::now() + kProbeTimeout;
  while (Clock::now() < until) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < attempts.size(); ++i) {
      if (attempts[i].done) continue;
      fds.push_back(pollfd{attempts[i].fd, POLLOUT, 0});
      which.push_back(i);
    }
    if (fds.empty()) break;
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(left, 0))) <= 0) break;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      auto& a = attempts[which[k]];
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      auto* p = probes[which[k]];
      p->observed = err == 0 || err == ECONNREFUSED;
      p->detail = err == 0              ? "connected"
                  : err == ECONNREFUSED ? "refused: nothing listens, the path is open"
                                        : std::strerror(err);
      a.done = true;
    }
  }
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    if (!attempts[i].done) {
      probes[i]->observed = false;
      probes[i]->detail = "timed out: dropped";
    }
    if (attempts[i].fd >= 0) ::close(attempts[i].fd);
  }
}

}  // namespace

std::string network_id(const std::string& state_dir) {
  auto normal = fs::absolute(state_dir).lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();  // "dir/" is "dir"
  const auto path = normal.string();
  std::uint32_t h = 2166136261U;  // FNV-1a
  for (const unsigned char c : path) h = (h ^ c) * 16777619U;
  return fmt::format("{:04x}", (h ^ (h >> 16)) & 0xffffU);
}

std::vector<std::string> leftover_namespaces(const std::string& id) {
  std::vector<std::string> out;
  const auto prefix = "mc-" + id + "-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    const auto name = e.path().filename().string();
    if (name.starts_with(prefix)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Expected<std::string, std::string> remove_network(const std::string& id) {
  const auto namespaces = leftover_namespaces(id);
  const auto stopped = stop_processes(namespaces);
  std::vector<std::string> errors;
  // The machine's end of the ops link first: both ends go at once (a namespace's links go only once the
  // kernel has finished with it).
  const auto link = "mc" + id;
  if (fs::exists("/sys/class/net/" + link)) {
    if (auto r = capture({ip_binary(), "link", "del", link}); !r) errors.push_back(r.error());
  }
  for (const auto& n : namespaces) {
    if (auto r = capture({ip_binary(), "netns", "del", n}); !r) errors.push_back(r.error());
  }
  if (!errors.empty()) return Unexpected(fmt::format("{}", fmt::join(errors, "; ")));
  return fmt::format("removed {} namespace{} (mc-{}-*) and the link {}, stopped {} process{}", namespaces.size(),
                     namespaces.size() == 1 ? "" : "s", id, link, stopped, stopped == 1 ? "" : "es");
}

std::optional<std::string> netns_unavailable() {
  if (::geteuid() != 0) return std::string("not root");
  if (ip_binary() == "ip") return std::string("no `ip` (iproute2); run script/bootstrap");
  if (nft_binary() == "nft") return std::string("no `nft` (nftables); run script/bootstrap");
  const auto probe = fmt::format("mc-probe-{}", ::getpid());
  if (auto r = capture({ip_binary(), "netns", "add", probe}); !r) return "cannot create a namespace: " + r.error();
  (void)capture({ip_binary(), "netns", "del", probe});
  return std::nullopt;
}

Network::Network(std::string id, std::vector<std::string> zones, sg::Groups groups, std::string files)
    : id_(std::move(id)), zones_(std::move(zones)), groups_(std::move(groups)), files_(std::move(files)) {}

std::string Network::block() const { return fmt::format("10.92.{}.0/20", block_); }

std::string Network::subnet(int index) const { return fmt::format("10.92.{}", block_ + index); }

std::optional<int> Network::zone_index(const std::string& zone) const {
  const auto it = std::find(zones_.begin(), zones_.end(), zone);
  if (it == zones_.end()) return std::nullopt;
  return static_cast<int>(it - zones_.begin());
}

Expected<std::string, std::string> Network::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{ip_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return capture(argv);
}

const NetHost* Network::host(const std::string& name) const {
  for (const auto& h : hosts_) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

// Held while a region chooses its address block and claims it (the route): two regions starting at once on
// one machine must not both take the first free block. The lock goes with the process.
class BlockLock {
 public:
  BlockLock() : fd_(::open("/run/myclothes-region-blocks.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~BlockLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  BlockLock(const BlockLock&) = delete;
  BlockLock& operator=(const BlockLock&) = delete;

 private:
  int fd_;
};

std::optional<std::string> Network::create() {
  if (zones_.size() + 2 > static_cast<std::size_t>(kBlocks)) return std::string("too many zones for one address block");
  const BlockLock lock;
  auto addrs = ip({"-o", "-4", "addr", "show"});
  auto routes = ip({"-4", "route", "show", "table", "all"});
  if (!addrs || !routes) return addrs ? routes.error() : addrs.error();
  const auto used = used_octets(*addrs + *routes);
  for (int k = 0; k < kBlocks && block_ < 0; ++k) {
    const int first = k * 16;
    if (std::none_of(used.begin(), used.end(), [&](int o) { return o >= first && o < first + 16; })) block_ = first;
  }
  if (block_ < 0) {
    return std::string(
        "every /20 of 10.92.0.0/16 is in use on this machine (other regions?); stop one, or run `myclothes region "
        "cleanup` for a crashed one");
  }
  std::error_code ec;
  fs::create_directories(files_, ec);
  created_ = true;
  const auto router = ns(kRouter);
  const auto base = subnet(0);
  const std::vector<std::vector<std::string>> steps = {
      {"netns", "add", router},
      {"-n", router, "link", "set", "lo", "up"},
      // The machine's end: the operators' bastion (sg-ops) reaches the whole block through the router.
      {"link", "add", "mc" + id_, "type", "veth", "peer", "name", "ops", "netns", router},
      {"addr", "add", base + ".1/30", "dev", "mc" + id_},
      {"link", "set", "mc" + id_, "up"},
      {"-n", router, "addr", "add", base + ".2/30", "dev", "ops"},
      {"-n", router, "link", "set", "ops", "up"},
      {"route", "add", block(), "via", base + ".2", "dev", "mc" + id_},
  };
  for (const auto& s : steps) {
    if (auto r = ip(s); !r) return r.error();
  }
  if (auto r = capture({"sysctl", "-qw", "net.ipv4.ip_forward=1"}, "/run/netns/" + router); !r) return r.error();
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    const auto& z = zones_[i];
    const auto gw = subnet(2 + static_cast<int>(i)) + ".1/24";
    // The bridge is the zone's switch; the router reaches it through gw-Z <-> up-Z, so that cutting the zone
    // off (gw-Z down) leaves the zone's own switch working.
    for (const auto& s : std::vector<std::vector<std::string>>{
             {"-n", router, "link", "add", "br-" + z, "type", "bridge"},
             {"-n", router, "link", "set", "br-" + z, "up"},
             {"-n", router, "link", "add", "gw-" + z, "type", "veth", "peer", "name", "up-" + z},
             {"-n", router, "link", "set", "up-" + z, "master", "br-" + z},
             {"-n", router, "link", "set", "up-" + z, "up"},
             {"-n", router, "addr", "add", gw, "dev", "gw-" + z},
             {"-n", router, "link", "set", "gw-" + z, "up"}}) {
      if (auto r = ip(s); !r) return r.error();
    }
  }
  NetHost internet{.name = "internet", .role = "internet", .address = base + ".6", .netns = ns("internet")};
  if (auto err = link(internet, base + ".5", 30, "")) return err;
  NetHost lb{.name = "lb", .role = "lb", .address = subnet(1) + ".10", .netns = ns("lb")};
  if (auto err = link(lb, subnet(1) + ".1", 24, "")) return err;
  return std::nullopt;
}

// The host's namespace and its link to the router: its router end on the zone's bridge (`bridge`), or
// holding the gateway address itself (a link of its own, `bridge` empty).
std::optional<std::string> Network::link(const NetHost& h, const std::string& gateway, int prefix_len,
                                         const std::string& bridge) {
  const auto router = ns(kRouter);
  const auto port = "h-" + h.name;
  std::vector<std::vector<std::string>> steps = {
      {"netns", "add", h.netns},
      {"-n", h.netns, "link", "set", "lo", "up"},
      {"-n", router, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h.netns},
  };
  if (bridge.empty()) {
    steps.push_back({"-n", router, "addr", "add", fmt::format("{}/{}", gateway, prefix_len), "dev", port});
  } else {
    steps.push_back({"-n", router, "link", "set", port, "master", bridge});
  }
  steps.push_back({"-n", router, "link", "set", port, "up"});
  steps.push_back({"-n", h.netns, "addr", "add", fmt::format("{}/{}", h.address, prefix_len), "dev", "eth0"});
  steps.push_back({"-n", h.netns, "link", "set", "eth0", "up"});
  steps.push_back({"-n", h.netns, "route", "add", "default", "via", gateway});
  hosts_.push_back(h);
  for (const auto& s : steps) {
    if (auto r = ip(s); !r) return r.error();
  }
  if (auto err = apply_ruleset(h)) return err;
  update_sets();
  return std::nullopt;
}

std::string Network::next_address(const std::string& zone, int from, int to) const {
  const auto net = subnet(2 + *zone_index(zone)) + ".";
  for (int last = from; last <= to; ++last) {
    auto a = net + std::to_string(last);
    if (std::none_of(hosts_.begin(), hosts_.end(), [&](const NetHost& h) { return h.address == a; })) return a;
  }
  return {};
}

Expected<NetHost, std::string> Network::add_host(const std::string& name, const std::string& role,
                                                 const std::string& zone) {
  const auto zi = zone_index(zone);
  if (!zi) return Unexpected(fmt::format("no zone {} in the network", zone));
  if (host(name) != nullptr) return Unexpected(fmt::format("a host {} exists already", name));
  NetHost h{.name = name, .role = role, .zone = zone, .netns = ns(name)};
  h.address = role == "app" ? next_address(zone, kAppFirst, kAppLast) : next_address(zone, kDataFirst, kDataLast);
  if (h.address.empty()) return Unexpected(fmt::format("zone {} has no address left for {}", zone, name));
  if (auto err = link(h, subnet(2 + *zi) + ".1", 24, "br-" + zone)) {
    remove_host(name);
    return Unexpected(*err);
  }
  return h;
}

void Network::remove_host(const std::string& name) {
  const auto it = std::find_if(hosts_.begin(), hosts_.end(), [&](const NetHost& h) { return h.name == name; });
  if (it == hosts_.end()) return;
  const auto netns = it->netns;
  hosts_.erase(it);
  stop_processes({netns});
  (void)ip({"-n", ns(kRouter), "link", "del", "h-" + name});
  (void)ip({"netns", "del", netns});
  update_sets();
}

std::optional<std::string> Network::apply_ruleset(const NetHost& h) const {
  const auto file = fmt::format("{}/{}.nft", files_, h.name);
  {
    std::ofstream out(file);
    out << sg::render_ruleset(groups_, sg::Host{h.name, h.role, h.address}, sg_hosts());
    if (!out) return fmt::format("cannot write {}", file);
  }
  if (auto r = capture({nft_binary(), "-f", file}, h.netns_path()); !r) return r.error();
  return std::nullopt;
}

// Every host's sets brought to the current members: one nft transaction per host, no rule touched, so no
// established flow is dropped.
void Network::update_sets() const {
  const auto members = sg_hosts();
  for (const auto& h : hosts_) {
    const auto text = sg::render_set_update(groups_, sg::Host{h.name, h.role, h.address}, members);
    if (text.empty()) continue;
    const auto file = fmt::format("{}/{}.sets.nft", files_, h.name);
    {
      std::ofstream out(file);
      out << text;
    }
    (void)capture({nft_binary(), "-f", file}, h.netns_path());
  }
}

std::vector<sg::Host> Network::sg_hosts() const {
  std::vector<sg::Host> out;
  out.push_back(sg::Host{"ops", "ops", subnet(0) + ".1"});
  for (const auto& h : hosts_) out.push_back(sg::Host{h.name, h.role, h.address});
  return out;
}

std::optional<std::string> Network::cut_zone(const std::string& zone) {
  if (!zone_index(zone)) return fmt::format("no zone {} (zones: {})", zone, fmt::join(zones_, ", "));
  if (auto r = ip({"-n", ns(kRouter), "link", "set", "gw-" + zone, "down"}); !r) return r.error();
  cut_.insert(zone);
  return std::nullopt;
}

std::optional<std::string> Network::restore_zone(const std::string& zone) {
  if (!zone_index(zone)) return fmt::format("no zone {} (zones: {})", zone, fmt::join(zones_, ", "));
  if (auto r = ip({"-n", ns(kRouter), "link", "set", "gw-" + zone, "up"}); !r) return r.error();
  cut_.erase(zone);
  return std::nullopt;
}

void Network::destroy() {
  if (!created_) return;
  created_ = false;
  hosts_.clear();
  (void)remove_network(id_);
}

std::vector<sg::Probe> Network::check() const {
  std::vector<sg::Host> sources;
  std::vector<sg::Host> destinations;
  std::map<std::string, std::string> netns_of;
  std::map<std::string, std::string> address_of;
  std::set<std::string> roles_taken;
  for (const auto& h : sg_hosts()) {
    address_of[h.name] = h.address;
    if (h.role != "ops" && h.role != "internet") destinations.push_back(h);
    // One source per role: the internet host, the LB, an app instance, a database node, a cache node, ops.
    if (roles_taken.insert(h.role).second) sources.push_back(h);
  }
  for (const auto& h : hosts_) netns_of[h.name] = h.netns_path();
  auto probes = sg::plan_probes(groups_, sources, destinations);
  // One thread per source enters the source's namespace and makes its connects there, all at once.
  struct Batch {
    std::string netns;
    std::vector<sg::Probe*> probes;
  };
  std::map<std::string, Batch> by_source;
  for (auto& p : probes) {
    auto& b = by_source[p.from];
    b.netns = netns_of.contains(p.from) ? netns_of.at(p.from) : std::string();
    b.probes.push_back(&p);
  }
  std::vector<std::thread> threads;
  threads.reserve(by_source.size());
  for (auto& entry : by_source) {
    Batch* b = &entry.second;
    threads.emplace_back([b, &address_of] { probe_all(b->netns, b->probes, address_of); });
  }
  for (auto& t : threads) t.join();
  return probes;
}

}  // namespace mc::region
