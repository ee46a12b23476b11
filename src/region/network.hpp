#pragma once

// The region's network in netns mode: every host a Linux network namespace, every zone a bridge with its own
// subnet, a router joining them, and security groups rendered into nftables inside each host — so that zones
// and tiers are what they are on AWS, and a zone can be cut off while its machines keep running.
//
// The plan (docs/adr/0011-the-region-network.md): the region owns one /20 of 10.92.0.0/16, the first one no
// address or route of the machine touches. Inside it, .0.0/30 joins the machine's own namespace (sg-ops, the
// operators' bastion) to the router, .0.4/30 the internet host, .1.0/24 is the load balancer's edge subnet and
// .(2+i).0/24 zone i's. Every namespace is named mc-<id>-<host>, where <id> comes from the state directory,
// and the bridges and the routers' ends of every link live inside the router's namespace, so removing the
// namespaces removes everything; the only thing in the machine's namespace is the link mc<id> (and its route).
//
// State: the plan (id, block, zones), the hosts with their roles and addresses, the security groups and
// which zones are cut off.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "region/security_groups.hpp"

namespace mc::region {

// The ports hosts listen on inside their own namespaces (the security groups' file uses the same numbers).
inline constexpr std::uint16_t kLbPort = 8080;
inline constexpr std::uint16_t kAppPort = 8081;
inline constexpr std::uint16_t kPgPort = 5432;
inline constexpr std::uint16_t kRedisPort = 6379;

// The zone the data tier lives in until it is Multi-AZ: the witness zone, so that losing either of the
// app zones leaves the database and Redis reachable (docs/adr/0011).
inline constexpr const char* kDataZone = "c";

struct NetHost {
  std::string name;     // "lb", "internet", "i-a1", "primary", "replica-1", "redis", "ops"
  std::string role;     // the security groups' role: lb | internet | app | pg | redis | ops
  std::string zone;     // "a" ...; empty for the regional hosts (lb, internet, ops)
  std::string address;  // 10.92.x.y
  std::string netns;    // the namespace's name (empty for ops: the machine's own)
  std::string netns_path() const { return netns.empty() ? std::string() : "/run/netns/" + netns; }
};

// The region id for a state directory: four hex digits of a hash of its absolute path.
std::string network_id(const std::string& state_dir);

// Namespaces named mc-<id>-*, and the machine's link mc<id>: what a region of that id leaves when it crashes.
std::vector<std::string> leftover_namespaces(const std::string& id);

// Kills every process in the namespaces of region `id` (SIGTERM, then SIGKILL), deletes the namespaces and
// the link mc<id>. Returns what it did, one line; an error when something stayed.
Expected<std::string, std::string> remove_network(const std::string& id);

// Why netns mode cannot run here (not root, no `ip`, no `nft`, namespaces refused); nullopt when it can.
std::optional<std::string> netns_unavailable();

class Network {
 public:
  // `zones`: a, b, ... (at least a, b and c: c holds the data tier); `groups` decide the hosts' rulesets;
  // `files`: where each host's nftables ruleset is written (for operators to read).
  Network(std::string id, std::vector<std::string> zones, sg::Groups groups, std::string files);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;
  ~Network() { destroy(); }

  // Picks the address block, creates the router, the zones' bridges, the ops and internet links and the
  // load balancer's host.
  std::optional<std::string> create();
  // A new host in `zone`: its namespace, its link to the zone's bridge, its address, its ruleset; every
  // other host's sets learn its address.
  Expected<NetHost, std::string> add_host(const std::string& name, const std::string& role, const std::string& zone);
  // Its processes must have stopped; the namespace goes and the other hosts' sets forget it.
  void remove_host(const std::string& name);

  // The zone's link to the router down (nothing crosses to or from it; its hosts keep running), or up again.
  std::optional<std::string> cut_zone(const std::string& zone);
  std::optional<std::string> restore_zone(const std::string& zone);
  bool cut_off(const std::string& zone) const { return cut_.contains(zone); }

  // Every host's processes killed, every namespace and the machine's link removed. Idempotent.
  void destroy();

  const NetHost* host(const std::string& name) const;
  const NetHost& lb() const { return *host("lb"); }
  const NetHost& internet() const { return *host("internet"); }
  const std::vector<NetHost>& hosts() const { return hosts_; }
  const std::vector<std::string>& zones() const { return zones_; }
  const sg::Groups& groups() const { return groups_; }
  const std::string& id() const { return id_; }
  std::string block() const;  // "10.92.16.0/20"
  std::string prefix() const { return "mc-" + id_ + "-"; }

  // The security groups' members as hosts (ops included), for sg::render_* and the probes.
  std::vector<sg::Host> sg_hosts() const;

  // `region sg-check`: TCP connects from the internet host, the LB, one app instance, one database node, one
  // cache node and ops to every host's ports, compared with what the groups allow.
  std::vector<sg::Probe> check() const;

 private:
  std::string ns(const std::string& host) const { return prefix() + host; }
  std::string subnet(int index) const;  // the third octet's offset index → "10.92.B+i"
  std::optional<int> zone_index(const std::string& zone) const;
  Expected<std::string, std::string> ip(const std::vector<std::string>& args) const;
  std::optional<std::string> link(const NetHost& h, const std::string& gateway, int prefix_len,
                                  const std::string& bridge);
  std::optional<std::string> apply_ruleset(const NetHost& h) const;
  void update_sets() const;
  std::string next_address(const std::string& zone, int from, int to) const;

  std::string id_;
  std::vector<std::string> zones_;
  sg::Groups groups_;
  std::string files_;
  int block_ = -1;  // the third octet of the block's first address
  std::vector<NetHost> hosts_;
  std::set<std::string> cut_;
  bool created_ = false;
};

}  // namespace mc::region
