// The security groups: the region's file read and checked, the paths it allows (the AWS graph), the
// nftables rulesets and set updates rendered from it (checked by nft itself in check mode), and sg-check's
// plan and report.

#include "region/security_groups.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace mc::region::sg {
namespace {

const std::string kRegionFile = MYCLOTHES_SOURCE_DIR "/deploy/local/security-groups.toml";

Groups region_groups() {
  auto g = load(kRegionFile);
  if (!g) ADD_FAILURE() << g.error();
  return g ? std::move(g).value() : Groups{};
}

// A region as the integrator would describe it: the shoppers, the bastion, the load balancer, instances in
// two zones, PostgreSQL and Redis.
const Host kInternet{"internet", "internet", "10.92.0.2"};
const Host kOps{"ops", "ops", "10.92.0.1"};
const Host kLb{"lb", "lb", "10.92.1.2"};
const Host kAppA{"i-a1", "app", "10.92.2.10"};
const Host kAppB{"i-b1", "app", "10.92.3.10"};
const Host kPrimary{"primary", "pg", "10.92.2.20"};
const Host kReplica{"replica-1", "pg", "10.92.3.20"};
const Host kRedis{"redis", "redis", "10.92.2.30"};
const Host kRedisB{"redis-b", "redis", "10.92.3.30"};

std::vector<Host> region_hosts() { return {kInternet, kOps, kLb, kAppA, kAppB, kPrimary, kReplica, kRedis, kRedisB}; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(SecurityGroups, TheRegionFileReadsInFileOrder) {
  const auto g = region_groups();
  std::vector<std::string> names;
  for (const auto& group : g.groups) names.push_back(group.name);
  EXPECT_EQ(names, (std::vector<std::string>{"sg-lb", "sg-app", "sg-cache", "sg-db", "sg-ops", "sg-internet"}));
  ASSERT_NE(g.find("sg-app"), nullptr);
  EXPECT_EQ(g.find("sg-app")->description, "the store's instances");
  EXPECT_EQ(g.find("sg-app")->members, std::vector<std::string>{"app"});
  ASSERT_EQ(g.find("sg-app")->ingress.size(), 2U);
  EXPECT_EQ(g.find("sg-app")->ingress[0].from, "sg-lb");
  EXPECT_EQ(g.find("sg-app")->ingress[0].ports, std::vector<std::uint16_t>{8081});
  EXPECT_EQ(g.find("sg-nope"), nullptr);
  ASSERT_EQ(g.groups_of("pg").size(), 1U);
  EXPECT_EQ(g.groups_of("pg")[0]->name, "sg-db");
  EXPECT_TRUE(g.groups_of("nobody").empty());
  EXPECT_TRUE(g.find("sg-ops")->ingress.empty());
  EXPECT_TRUE(g.find("sg-internet")->ingress.empty());
}

TEST(SecurityGroups, TheInternetReachesOnlyTheLoadBalancer) {
  const auto g = region_groups();
  EXPECT_TRUE(allows(g, kInternet, kLb, 8080));
  EXPECT_FALSE(allows(g, kInternet, kLb, 8081));
  for (const auto& to : {kAppA, kPrimary, kReplica, kRedis, kOps}) {
    for (const std::uint16_t port : {8080, 8081, 5432, 6379, 26379}) {
      EXPECT_FALSE(allows(g, kInternet, to, port)) << to.name << ":" << port;
    }
  }
  EXPECT_TRUE(allows(g, kAppA, kLb, 8080)) << "anywhere is anyone";
}

TEST(SecurityGroups, TheLoadBalancerReachesTheInstancesOnly) {
  const auto g = region_groups();
  EXPECT_TRUE(allows(g, kLb, kAppA, 8081));
  EXPECT_TRUE(allows(g, kLb, kAppB, 8081));
  EXPECT_FALSE(allows(g, kLb, kAppA, 5432));
  EXPECT_FALSE(allows(g, kLb, kPrimary, 5432));
  EXPECT_FALSE(allows(g, kLb, kRedis, 6379));
  EXPECT_FALSE(allows(g, kLb, kRedis, 26379));
}

TEST(SecurityGroups, InstancesReachTheDataTierButNotEachOther) {
  const auto g = region_groups();
  EXPECT_TRUE(allows(g, kAppA, kPrimary, 5432));
  EXPECT_TRUE(allows(g, kAppA, kReplica, 5432));
  EXPECT_TRUE(allows(g, kAppA, kRedis, 6379));
  EXPECT_TRUE(allows(g, kAppA, kRedis, 26379)) << "the instances ask the Sentinels where the Redis primary is";
  EXPECT_FALSE(allows(g, kAppA, kAppB, 8081)) << "instances talk through the data tier, not to each other";
  EXPECT_FALSE(allows(g, kAppA, kOps, 8081));
}

TEST(SecurityGroups, OperatorsReachEveryServiceButTheLoadBalancerOnlyAsShoppers) {
  const auto g = region_groups();
  EXPECT_TRUE(allows(g, kOps, kAppA, 8081));
  EXPECT_TRUE(allows(g, kOps, kPrimary, 5432));
  EXPECT_TRUE(allows(g, kOps, kRedis, 6379));
  EXPECT_TRUE(allows(g, kOps, kRedis, 26379));
  EXPECT_TRUE(allows(g, kOps, kLb, 8080));
  EXPECT_FALSE(allows(g, kLb, kOps, 8081)) << "nothing connects to the bastion";
}

TEST(SecurityGroups, TheDataTierReplicatesWithinItsGroup) {
  const auto g = region_groups();
  EXPECT_TRUE(allows(g, kReplica, kPrimary, 5432));
  EXPECT_TRUE(allows(g, kPrimary, kReplica, 5432));
  EXPECT_TRUE(allows(g, kRedisB, kRedis, 26379));
  EXPECT_TRUE(allows(g, kRedisB, kRedis, 6379));
  EXPECT_FALSE(allows(g, kRedis, kPrimary, 5432));
  EXPECT_FALSE(allows(g, kPrimary, kRedis, 6379));
}

TEST(SecurityGroups, PortsOfAHostAreItsGroupsPortsSortedOnce) {
  const auto g = region_groups();
  EXPECT_EQ(ports_of(g, kRedis), (std::vector<std::uint16_t>{6379, 26379}));
  EXPECT_EQ(ports_of(g, kAppA), std::vector<std::uint16_t>{8081});
  EXPECT_EQ(ports_of(g, kPrimary), std::vector<std::uint16_t>{5432});
  EXPECT_EQ(ports_of(g, kLb), std::vector<std::uint16_t>{8080});
  EXPECT_TRUE(ports_of(g, kOps).empty());
  EXPECT_TRUE(ports_of(g, Host{"x", "unknown-role", "10.0.0.1"}).empty());
}

TEST(SecurityGroups, AGroupMayBeNamedBeforeItIsDefinedAndRolesMayShareGroups) {
  const auto g = parse(R"(
[sg-a]
members = ["web", "worker"]
ingress = [{ from = "sg-b", ports = [80, 443] }]
[sg-b]
members = ["worker"]
)",
                       "t.toml");
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->groups_of("worker").size(), 2U);
  const Host worker{"w", "worker", "10.0.0.2"};
  const Host web{"s", "web", "10.0.0.1"};
  EXPECT_TRUE(allows(*g, worker, web, 443));
  EXPECT_FALSE(allows(*g, web, worker, 80)) << "web is not in sg-b";
  EXPECT_TRUE(contains(render_ruleset(*g, web, {web, worker}), "comment \"sg-a from sg-b\"")) << "no why";
}

// ---- the file's mistakes, each one line naming the file, the line and the group ----

std::string error_of(const std::string& text) {
  const auto g = parse(text, "t.toml");
  if (g) return "(no error)";
  EXPECT_EQ(g.error().find('\n'), std::string::npos) << g.error();
  return g.error();
}

TEST(SecurityGroupsFile, AnEmptyFileHasNoGroups) {
  EXPECT_EQ(error_of(""), "t.toml: no security groups; define at least one [sg-NAME] table with members");
  EXPECT_EQ(error_of("# only comments\n"), error_of(""));
}

TEST(SecurityGroupsFile, ATopLevelValueIsNoGroup) {
  EXPECT_EQ(error_of("title = \"groups\"\n[sg-a]\nmembers = [\"x\"]\n"),
            "t.toml:1: \"title\" is a string, not a group; the file holds only [sg-NAME] tables");
}

TEST(SecurityGroupsFile, AGroupNeedsMembers) {
  EXPECT_EQ(error_of("[sg-a]\nmembers = [\"x\"]\n\n[sg-b]\ndescription = \"d\"\n"),
            "t.toml:4: [sg-b] has no members; add the roles whose hosts belong to it: members = [\"app\"]");
  EXPECT_TRUE(contains(error_of("[sg-b]\nmembers = []\n"), "[sg-b] has no members"));
  EXPECT_EQ(error_of("[sg-b]\nmembers = \"app\"\n"),
            "t.toml:2: [sg-b] members is a string; write a list of roles: members = [\"app\"]");
  EXPECT_EQ(error_of("[sg-b]\nmembers = [1]\n"),
            "t.toml:2: [sg-b] members holds an integer; each member is a role's name, e.g. \"app\"");
}

TEST(SecurityGroupsFile, FromNamesAGroupOfTheFile) {
  EXPECT_EQ(error_of("[sg-lb]\nmembers = [\"lb\"]\n[sg-app]\nmembers = [\"app\"]\ningress = [\n"
                     "  { from = \"sg-lb\", ports = [8081] },\n  { from = \"sg-lbb\", ports = [8081] },\n]\n"),
            "t.toml:7: [sg-app] ingress 2: from \"sg-lbb\" is no group of this file; name one of sg-lb, sg-app or "
            "\"anywhere\"");
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"]\ningress = [{ from = 3, ports = [1] }]\n"),
                       "[sg-a] ingress 1: from is an integer; name a group (\"sg-x\") or \"anywhere\""));
}

TEST(SecurityGroupsFile, PortsAreIntegersFrom1To65535) {
  const std::string head = "[sg-a]\nmembers = [\"x\"]\ningress = [{ from = \"anywhere\", ports = ";
  EXPECT_EQ(error_of(head + "[70000] }]\n"), "t.toml:3: [sg-a] ingress 1: port 70000 is outside 1..65535");
  EXPECT_EQ(error_of(head + "[0] }]\n"), "t.toml:3: [sg-a] ingress 1: port 0 is outside 1..65535");
  EXPECT_EQ(error_of(head + "[-1] }]\n"), "t.toml:3: [sg-a] ingress 1: port -1 is outside 1..65535");
  EXPECT_EQ(error_of(head + "[\"8081\"] }]\n"),
            "t.toml:3: [sg-a] ingress 1: a port is a string; write ports as integers from 1 to 65535");
  EXPECT_TRUE(contains(error_of(head + "[80.5] }]\n"), "a port is a number with a fraction"));
  EXPECT_EQ(error_of(head + "8081 }]\n"),
            "t.toml:3: [sg-a] ingress 1: ports is an integer; list at least one TCP port: ports = [8081]");
  EXPECT_TRUE(contains(error_of(head + "[] }]\n"), "ports is an empty list"));
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"]\ningress = [{ from = \"anywhere\" }]\n"),
                       "[sg-a] ingress 1: a rule needs ports"));
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"]\ningress = [{ ports = [1] }]\n"),
                       "[sg-a] ingress 1: a rule needs from"));
}

TEST(SecurityGroupsFile, UnknownKeysAreTypos) {
  EXPECT_EQ(error_of("[sg-a]\nmembers = [\"x\"]\nmember = [\"y\"]\n"),
            "t.toml:3: [sg-a] unknown key \"member\"; a group has description, members and ingress");
  EXPECT_EQ(error_of("[sg-a]\nmembers = [\"x\"]\ningress = [\n  { from = \"anywhere\", port = [1] },\n]\n"),
            "t.toml:4: [sg-a] ingress 1: unknown key \"port\"; a rule has from, ports and why");
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"]\ningress = { from = \"anywhere\" }\n"),
                       "[sg-a] ingress is a table; write a list of rules"));
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"]\ningress = [\"anywhere\"]\n"),
                       "[sg-a] ingress 1 is a string; a rule is a table"));
}

TEST(SecurityGroupsFile, NamesBecomeNftablesSets) {
  EXPECT_EQ(error_of("[web]\nmembers = [\"x\"]\n"),
            "t.toml:1: [web] is not a group name; a group's name starts with \"sg-\" and holds letters, digits, '-' "
            "and '_'");
  EXPECT_TRUE(contains(error_of("[\"sg-a b\"]\nmembers = [\"x\"]\n"), "is not a group name"));
  EXPECT_EQ(error_of("[sg-a-b]\nmembers = [\"x\"]\n[sg-a_b]\nmembers = [\"y\"]\n"),
            "t.toml:3: [sg-a-b] and [sg-a_b] would share the nftables set sg_a_b; rename one");
}

TEST(SecurityGroupsFile, WhyMustFitAnNftablesComment) {
  const std::string head = "[sg-a]\nmembers = [\"x\"]\ningress = [{ from = \"anywhere\", ports = [1], why = ";
  EXPECT_TRUE(contains(error_of(head + "'say \"hi\"' }]\n"), "[sg-a] ingress 1: why holds a double quote"));
  const std::string long_why(120, 'w');
  EXPECT_TRUE(contains(error_of(head + "\"" + long_why + "\" }]\n"), "is 140 bytes, nftables takes 128; shorten why"));
  EXPECT_TRUE(contains(error_of(head + "1 }]\n"), "why is an integer; write it as a string"));
}

TEST(SecurityGroupsFile, SyntaxErrorsNameTheLine) {
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"\n"), "t.toml:"));
  EXPECT_TRUE(contains(error_of("[sg-a]\nmembers = [\"x\"]\n[sg-a]\nmembers = [\"y\"]\n"), "t.toml:3"));
}

TEST(SecurityGroupsFile, AMissingFileSaysSo) {
  const auto g = load("/nonexistent/security-groups.toml");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), "/nonexistent/security-groups.toml: cannot read the security groups");
}

// ---- nftables ----

TEST(SecurityGroupsNft, AnInstanceAdmitsTheLoadBalancerAndTheOperators) {
  const auto g = region_groups();
  const auto rules = render_ruleset(g, kAppA, region_hosts());
  EXPECT_TRUE(rules.starts_with("# The security groups of i-a1 (role app): sg-app."));
  EXPECT_TRUE(contains(rules, "\ntable inet mc_sg\ndelete table inet mc_sg\ntable inet mc_sg {\n"));
  EXPECT_TRUE(contains(rules, "  set sg_lb {\n    type ipv4_addr\n    elements = { 10.92.1.2 }\n  }\n"));
  EXPECT_TRUE(contains(rules, "  set sg_ops {\n    type ipv4_addr\n    elements = { 10.92.0.1 }\n  }\n"));
  EXPECT_FALSE(contains(rules, "set sg_app")) << "instances do not admit each other";
  EXPECT_FALSE(contains(rules, "set sg_db"));
  EXPECT_TRUE(contains(rules, "type filter hook input priority 0; policy drop;\n"));
  EXPECT_TRUE(
      contains(rules, "ct state established,related accept\n    ct state invalid drop\n    iif \"lo\" accept\n"));
  EXPECT_TRUE(contains(rules,
                       "    ip saddr @sg_lb tcp dport { 8081 } accept comment \"sg-app from sg-lb: the listener and "
                       "the load balancer's health checks\"\n"));
  EXPECT_TRUE(contains(rules, "    ip saddr @sg_ops tcp dport { 8081 } accept comment \"sg-app from sg-ops: "));
  EXPECT_FALSE(contains(rules, "chain output")) << "egress is open";
  EXPECT_FALSE(contains(rules, "5432"));
}

TEST(SecurityGroupsNft, TheLoadBalancerAdmitsAnyone) {
  const auto rules = render_ruleset(region_groups(), kLb, region_hosts());
  EXPECT_TRUE(contains(rules, "\n    tcp dport { 8080 } accept comment \"sg-lb from anywhere: shoppers\"\n"));
  EXPECT_FALSE(contains(rules, "  set ")) << "anywhere needs no set";
}

TEST(SecurityGroupsNft, SetsHoldEveryMemberOnceAndAnEmptySetNoElements) {
  const auto g = region_groups();
  auto hosts = region_hosts();
  hosts.push_back(Host{"replica-2", "pg", ""});        // not placed yet
  hosts.push_back(Host{"again", "pg", "10.92.2.20"});  // the primary's address twice
  const auto rules = render_ruleset(g, kPrimary, hosts);
  EXPECT_TRUE(contains(rules, "  set sg_db {\n    type ipv4_addr\n    elements = { 10.92.2.20, 10.92.3.20 }\n  }\n"));
  EXPECT_TRUE(contains(rules, "  set sg_app {\n    type ipv4_addr\n    elements = { 10.92.2.10, 10.92.3.10 }\n"));
  const auto without_ops = render_ruleset(g, kPrimary, {kAppA, kPrimary});
  EXPECT_TRUE(contains(without_ops, "  set sg_ops {\n    type ipv4_addr\n  }\n"));
}

TEST(SecurityGroupsNft, EveryRuleOfEveryGroupIsInItsMembersRulesets) {
  const auto g = region_groups();
  for (const auto& host : region_hosts()) {
    const auto rules = render_ruleset(g, host, region_hosts());
    for (const Group* group : g.groups_of(host.role)) {
      for (const auto& r : group->ingress) {
        EXPECT_TRUE(contains(rules, "accept comment \"" + group->name + " from " + r.from + ": " + r.why + "\"\n"))
            << host.name << " lacks " << group->name << " from " << r.from;
      }
    }
  }
}

TEST(SecurityGroupsNft, AHostInNoGroupAdmitsNothing) {
  const auto rules = render_ruleset(region_groups(), Host{"x", "stray", "10.92.9.9"}, region_hosts());
  EXPECT_TRUE(contains(rules, "(role stray): none, so nothing may connect in."));
  EXPECT_TRUE(contains(rules, "policy drop;"));
  EXPECT_FALSE(contains(rules, "dport"));
}

TEST(SecurityGroupsNft, ASetUpdateFlushesAndRefillsOnlyTheSets) {
  const auto g = region_groups();
  auto hosts = region_hosts();
  hosts.push_back(Host{"lb-2", "lb", "10.92.1.3"});
  EXPECT_EQ(render_set_update(g, kAppA, hosts),
            "flush set inet mc_sg sg_lb\n"
            "add element inet mc_sg sg_lb { 10.92.1.2, 10.92.1.3 }\n"
            "flush set inet mc_sg sg_ops\n"
            "add element inet mc_sg sg_ops { 10.92.0.1 }\n");
  EXPECT_EQ(render_set_update(g, kAppA, {kLb}),
            "flush set inet mc_sg sg_lb\nadd element inet mc_sg sg_lb { 10.92.1.2 }\nflush set inet mc_sg sg_ops\n")
      << "an emptied set is flushed and left empty";
  EXPECT_EQ(render_set_update(g, kLb, hosts), "") << "anywhere has no set";
  EXPECT_EQ(render_set_update(g, kInternet, hosts), "");
}

// What `nft -c -f FILE` says (check mode: parsed and sent to the kernel as a transaction that is not
// committed), and its exit status.
std::pair<int, std::string> nft_check(const std::string& text) {
  const std::string path = ::testing::TempDir() + "sg-check-" + std::to_string(::getpid()) + ".nft";
  std::ofstream(path) << text;
  std::string output;
  FILE* pipe = ::popen(("/usr/sbin/nft -c -f " + path + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) output += buf.data();
  const int status = ::pclose(pipe);
  std::remove(path.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(SecurityGroupsNft, NftAcceptsEveryHostsRulesetAndSetUpdate) {
  ASSERT_EQ(::access("/usr/sbin/nft", X_OK), 0) << "nft is missing: install nftables (script/bootstrap)";
  const auto g = region_groups();
  auto hosts = region_hosts();
  hosts.push_back(Host{"stray", "stray", "10.92.9.9"});
  for (const auto& host : hosts) {
    // The update runs against the table the ruleset made: check both in one transaction.
    const auto text = render_ruleset(g, host, hosts) + render_set_update(g, host, {kLb, kAppA});
    const auto [rc, output] = nft_check(text);
    EXPECT_EQ(rc, 0) << host.name << ":\n" << output << "\n" << text;
  }
  const auto [rc, output] = nft_check("table inet mc_sg {\n  chain input {\n    bogus\n  }\n}\n");
  EXPECT_NE(rc, 0) << "nft -c must refuse what it cannot read, or this test proves nothing";
}

// ---- sg-check ----

std::vector<Host> probe_sources() { return {kInternet, kOps, kLb, kAppA, kPrimary, kRedis}; }
std::vector<Host> probe_destinations() { return {kLb, kAppA, kAppB, kPrimary, kReplica, kRedis}; }

TEST(SgCheck, OneProbePerSourceDestinationAndPortNeverAHostToItself) {
  const auto g = region_groups();
  const auto probes = plan_probes(g, probe_sources(), probe_destinations());
  // Ports per destination: lb 1, i-a1 1, i-b1 1, primary 1, replica-1 1, redis 2 = 7, for each of the 6
  // sources; lb, i-a1, primary and redis are also destinations and skip themselves (1 + 1 + 1 + 2).
  EXPECT_EQ(probes.size(), 6U * 7U - 5U);
  for (const auto& p : probes) EXPECT_NE(p.from, p.to);
  for (const auto& p : probes) EXPECT_FALSE(p.observed.has_value());
  std::size_t open = 0;
  for (const auto& p : probes) open += p.expected ? 1 : 0;
  // internet: lb. ops: all 7. lb: i-a1, i-b1 (and itself not). i-a1: lb, primary, replica, redis 6379 and
  // Sentinel's 26379. primary: lb, replica. redis: lb, redis-itself skipped.
  EXPECT_EQ(open, 1U + 7U + 2U + 5U + 2U + 1U);
  EXPECT_EQ(probes.front().from, "internet");
  EXPECT_EQ(probes.front().to, "lb");
  EXPECT_EQ(probes.front().port, 8080);
  EXPECT_TRUE(probes.front().expected);
  EXPECT_TRUE(plan_probes(g, {kAppA}, {kAppA}).empty());
}

std::vector<Probe> observed_as_declared() {
  auto probes = plan_probes(region_groups(), probe_sources(), probe_destinations());
  for (auto& p : probes) {
    p.observed = p.expected;
    p.detail = p.expected ? "connected" : "timed out";
  }
  return probes;
}

TEST(SgCheck, AllAsDeclared) {
  const auto probes = observed_as_declared();
  EXPECT_TRUE(all_as_expected(probes));
  const auto text = render_matrix(probes);
  EXPECT_TRUE(text.ends_with(fmt::format("\nsg-check: {} paths probed, all as declared\n", probes.size()))) << text;
  EXPECT_FALSE(contains(text, "DIFFERENT"));
  EXPECT_FALSE(contains(text, "!"));
}

TEST(SgCheck, ADifferenceIsMarkedAndNamed) {
  auto probes = observed_as_declared();
  for (auto& p : probes) {
    if (p.from == "internet" && p.to == "primary") {
      p.observed = true;
      p.detail = "connected";
    }
  }
  EXPECT_FALSE(all_as_expected(probes));
  const auto text = render_matrix(probes);
  EXPECT_TRUE(contains(text, "\nDIFFERENT: internet -> primary:5432 expected refused, observed open (connected)\n"))
      << text;
  EXPECT_TRUE(text.ends_with(fmt::format("\nsg-check: 1 of {} paths differ\n", probes.size()))) << text;
  EXPECT_TRUE(contains(text, "open!"));
  for (std::size_t from = 0, to = 0; from < text.size(); from = to + 1) {
    to = text.find('\n', from);
    EXPECT_LE(to - from, 160U) << text.substr(from, to - from);
  }
}

TEST(SgCheck, TheMatrixHasARowPerSourceAndAColumnPerDestinationPortInOrder) {
  const auto text = render_matrix(observed_as_declared());
  std::vector<std::string> lines;
  for (std::size_t from = 0, to = 0; from < text.size(); from = to + 1) {
    to = text.find('\n', from);
    lines.push_back(text.substr(from, to - from));
  }
  ASSERT_GE(lines.size(), 9U) << text;
  EXPECT_TRUE(lines[0].starts_with("          expected")) << text;
  EXPECT_TRUE(contains(lines[0], "| observed"));
  // The lb row has no lb cell: no host probes itself.
  EXPECT_TRUE(lines[1].starts_with("          lb      i-a1    i-b1    primary repl~-1 redis   redis   | lb")) << text;
  EXPECT_TRUE(lines[2].starts_with("          8080    8081    8081    5432    5432    6379    26379   | 8080")) << text;
  EXPECT_TRUE(lines[3].starts_with("internet  open    -       -       -       -       -       -       | open")) << text;
  EXPECT_TRUE(lines[5].starts_with("lb                open    open    -       -       -       -       |")) << text;
  EXPECT_TRUE(contains(text, "(repl~-1 = replica-1)\n"));
}

TEST(SgCheck, ColumnsKeepTheDestinationsOrderWhenTheFirstSourceIsOne) {
  // lb, the first source, skips itself: its column comes from the second source and still goes first.
  const auto probes = plan_probes(region_groups(), {kLb, kAppA}, {kLb, kAppA, kPrimary});
  const auto text = render_matrix(probes);
  EXPECT_TRUE(contains(text, "\n          lb      i-a1    primary | lb      i-a1    primary\n")) << text;
  EXPECT_TRUE(contains(text, "\nlb                open    -       |         ?       ?\n")) << text;
  EXPECT_TRUE(contains(text, "\ni-a1      open            open    | ?               ?\n")) << text;
}

TEST(SgCheck, AProbeNotRunIsNoPass) {
  auto probes = observed_as_declared();
  probes[0].observed.reset();
  probes[0].detail = "no such host";
  EXPECT_FALSE(all_as_expected(probes));
  const auto text = render_matrix(probes);
  EXPECT_TRUE(contains(text, "\nNOT PROBED: internet -> lb:8080 expected open (no such host)\n")) << text;
  EXPECT_TRUE(text.ends_with(fmt::format("sg-check: 0 of {} paths differ, 1 not probed\n", probes.size()))) << text;
  EXPECT_TRUE(all_as_expected({}));
}

TEST(SgCheck, ManyColumnsGoInBandsThatFit) {
  std::vector<Host> destinations;
  destinations.reserve(30);
  for (int i = 0; i < 30; ++i) destinations.push_back(Host{fmt::format("i-{}", i), "app", ""});
  auto probes = plan_probes(region_groups(), {kLb, kOps}, destinations);
  for (auto& p : probes) p.observed = p.expected;
  const auto text = render_matrix(probes);
  for (std::size_t from = 0, to = 0; from < text.size(); from = to + 1) {
    to = text.find('\n', from);
    EXPECT_LE(to - from, 160U) << text.substr(from, to - from);
  }
  EXPECT_TRUE(contains(text, "i-29"));
  EXPECT_TRUE(contains(text, "sg-check: 60 paths probed, all as declared"));
}

// ---- region sg ----

TEST(SecurityGroupsText, EachGroupWithItsMembersAndRules) {
  auto hosts = region_hosts();
  hosts.push_back(Host{"replica-2", "pg", ""});
  const auto text = render_text(region_groups(), hosts);
  EXPECT_TRUE(text.starts_with("sg-lb        the load balancer (HAProxy)")) << text;
  EXPECT_TRUE(contains(text, "\n  members    app       i-a1 10.92.2.10, i-b1 10.92.3.10\n")) << text;
  EXPECT_TRUE(contains(text,
                       "\n  ingress    tcp 8081        from sg-lb     the listener and the load balancer's health "
                       "checks\n"))
      << text;
  EXPECT_TRUE(contains(text, "\n             tcp 8081        from sg-ops    operators: status pages and /metrics\n"))
      << text;
  EXPECT_TRUE(contains(text, "tcp 6379,26379  from sg-cache  replication and Sentinel\n")) << text;
  EXPECT_TRUE(contains(text, "replica-1 10.92.3.20, replica-2 (no address)\n")) << text;
  EXPECT_TRUE(contains(text, "\n  ingress    none: nothing may connect in\n")) << text;
  EXPECT_TRUE(contains(text, "\nEverything else is dropped."));
  EXPECT_TRUE(contains(render_text(region_groups(), {}), "  members    lb        (no hosts)\n"));
}

}  // namespace
}  // namespace mc::region::sg
