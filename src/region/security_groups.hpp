#pragma once

// The region's security groups, as on AWS: deploy/local/security-groups.toml says which roles belong to which
// group and, per group, who may open a TCP connection to its members and on which ports (from another group
// or from anywhere). Everything else is dropped; replies to an allowed connection pass and egress is open.
//
// This part only reads the file and answers from it: whether a path is allowed, the nftables ruleset for a
// host's own network namespace (and the smaller update when a group's members change), the text `region sg`
// prints, and sg-check's plan and report. It runs nothing and needs no privileges; the region applies the
// rulesets (`nft -f -` inside each namespace) and runs the probes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc::region::sg {

// "from" in a rule that admits every source, the shoppers' too.
inline constexpr std::string_view kAnywhere = "anywhere";
// The nftables table every host's ruleset lives in.
inline constexpr std::string_view kTable = "mc_sg";
// nftables refuses a rule comment longer than this; parse checks "GROUP from FROM: why" against it.
inline constexpr std::size_t kMaxCommentBytes = 128;

// One host of the region as the integrator knows it: the role decides its groups.
struct Host {
  std::string name;     // "i-a1", "primary", "lb", ...
  std::string role;     // lb, app, pg, redis, ops, internet: free strings, matched against members
  std::string address;  // its IPv4 address inside the region's network; a host without one is in no set
};

// Who may connect in: the members of group `from` (or anyone, kAnywhere) on these TCP ports.
struct Rule {
  std::string from;
  std::vector<std::uint16_t> ports;  // as written; at least one, each 1..65535
  std::string why;                   // may be empty
};

struct Group {
  std::string name;
  std::string description;
  std::vector<std::string> members;  // roles; at least one
  std::vector<Rule> ingress;
};

struct Groups {
  std::vector<Group> groups;  // in file order

  const Group* find(std::string_view name) const;
  std::vector<const Group*> groups_of(std::string_view role) const;  // the groups a role is a member of
};

// Reads and checks the file's text; an error is one line that names `source`, the line and the group, and
// says what to do. Every `from` names a group of the file or "anywhere".
Expected<Groups, std::string> parse(std::string_view toml_text, std::string_view source);
Expected<Groups, std::string> load(const std::string& path);

// Whether `from` may open a TCP connection to `to` on `port`: some group of `to` has a rule for that port from
// "anywhere" or from a group `from` is a member of.
bool allows(const Groups& g, const Host& from, const Host& to, std::uint16_t port);

// Every port any group of `to` opens (sorted, unique): what sg-check probes on that host.
std::vector<std::uint16_t> ports_of(const Groups& g, const Host& to);

// The nftables ruleset (for `nft -f -`) of `host`'s own namespace. It starts with "table inet mc_sg" and
// "delete table inet mc_sg", so it replaces an earlier one in one transaction (and works when there was
// none). The table holds one set of addresses per group the host's rules admit (named like the group with
// '-' as '_': sg_lb), filled from the hosts of `hosts` whose role is a member, and chain `input` (policy
// drop): established and related packets, loopback, then one commented accept per rule. A host in no group
// gets the drop policy alone: nothing may connect to it. So does the bastion (ops, no ingress): applied to
// the machine's own namespace, its ruleset would drop what reaches the machine from outside (ssh too).
std::string render_ruleset(const Groups& g, const Host& host, const std::vector<Host>& hosts);

// The nft commands (one transaction) that bring `host`'s sets to the members in `hosts` without touching
// its rules or established connections: per set, "flush set" then "add element" when it has members. Empty
// when the host has no sets.
std::string render_set_update(const Groups& g, const Host& host, const std::vector<Host>& hosts);

// What `region sg` prints: each group with its description, its members (roles, and the hosts of those
// roles in `hosts` with their addresses) and its ingress rules one a line; then what happens to the rest.
std::string render_text(const Groups& g, const std::vector<Host>& hosts);

// sg-check: one probe is a TCP connect from a source host to a destination host's port.
struct Probe {
  std::string from;  // host names
  std::string to;
  std::uint16_t port = 0;
  bool expected = false;         // allows(...)
  std::optional<bool> observed;  // whether it connected; empty until probed
  std::string detail;            // how it went: "connected", "refused", "timed out", ...
};

// For every source and every destination (never a host against itself), one probe per port of
// ports_of(destination), in that order.
std::vector<Probe> plan_probes(const Groups& g, const std::vector<Host>& sources,
                               const std::vector<Host>& destinations);

// The expected and the observed matrix side by side (rows the sources, columns "destination:port", cells
// "open", "-", or "?" not probed; an observed cell that differs is marked "!"), in bands of columns that
// fit 160 columns; then one line per difference, and a last line: "sg-check: N paths probed, all as
// declared" or "sg-check: K of N paths differ".
std::string render_matrix(const std::vector<Probe>& probes);

// Every probe observed, and as expected.
bool all_as_expected(const std::vector<Probe>& probes);

}  // namespace mc::region::sg
