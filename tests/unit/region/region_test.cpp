#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "region/ha_tier.hpp"
#include "region/haproxy.hpp"
#include "region/layout.hpp"
#include "region/region.hpp"
#include "region/replicas.hpp"

namespace mc::region {
namespace {

bool has(const std::string& text, std::string_view line) { return text.find(line) != std::string::npos; }

// A region's layout as deploy/local/services prints it, with `replicas` replicas.
DataLayout layout(int replicas) {
  const char* kLines[] = {"replica replica-1 5433 /d/replica-1\n", "replica replica-2 5434 /d/replica-2\n",
                          "replica replica-3 5435 /d/replica-3\n"};
  std::string text = "primary primary 5432 /d/pg\n";
  for (int n = 0; n < replicas; ++n) text += kLines[n];
  auto parsed = parse_layout(text + "redis redis 6379 /d/redis\n");
  EXPECT_TRUE(parsed) << parsed.error();
  return *parsed;
}

TEST(HaproxyConfig, BalancesRoundRobinWithHealthChecksRetriesAndRedispatch) {
  LbSettings s;
  s.port = 18080;
  s.state_dir = "/tmp/region";
  const auto cfg = render_config(s);
  EXPECT_TRUE(has(cfg, "bind 127.0.0.1:18080"));
  EXPECT_TRUE(has(cfg, "stats socket /tmp/region/haproxy.sock mode 600 level admin"));
  EXPECT_TRUE(has(cfg, "balance roundrobin"));
  EXPECT_TRUE(has(cfg, "http-check send meth GET uri /readyz"));
  EXPECT_TRUE(has(cfg, "http-check expect status 200"));
  EXPECT_TRUE(has(cfg, "option redispatch 1"));
  EXPECT_TRUE(has(cfg, "retry-on conn-failure empty-response response-timeout"));
  // Only idempotent requests are sent again once an instance had them: an order is never placed twice.
  EXPECT_TRUE(has(cfg, "http-request disable-l7-retry unless METH_GET || METH_HEAD"));
  EXPECT_FALSE(has(cfg, "cookie ")) << "no stickiness unless asked";
  EXPECT_TRUE(has(cfg, "http-request deny deny_status 404 if { path /healthz /readyz /metrics }"))
      << "the operations endpoints are not routed from outside";
}

TEST(HaproxyConfig, BehindTheForwarderTheListenerTakesThePROXYHeader) {
  LbSettings s;
  s.bind_host = "10.92.1.10";
  EXPECT_FALSE(has(render_config(s), "accept-proxy"));
  s.accept_proxy = true;
  EXPECT_TRUE(has(render_config(s), "bind 10.92.1.10:8080 accept-proxy\n"));
}

TEST(HaproxyConfig, StickinessInsertsACookieThatLivesADayLikeTheAwsOne) {
  LbSettings s;
  s.sticky = true;
  s.dynamic_cookie_key = "k3y";
  const auto cfg = render_config(s);
  EXPECT_TRUE(has(cfg, "cookie MCLB insert indirect nocache dynamic maxlife 86400s attr \"Max-Age=86400\" httponly"));
  EXPECT_TRUE(has(cfg, "dynamic-cookie-key k3y"));
}

TEST(HaproxyConfig, AnInstanceJoinsCheckedLikeTheConfigurationSays) {
  LbSettings s;
  s.check_interval = std::chrono::milliseconds(500);
  EXPECT_EQ(add_server_command(s, "i-a1", "127.0.0.1", 20001),
            "add server app/i-a1 127.0.0.1:20001 check inter 500 fastinter 250 downinter 500 rise 2 fall 2 "
            "on-marked-down shutdown-sessions");
}

TEST(HaproxyStats, ReadsTheBackendsServersByColumnName) {
  const std::string csv =
      "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,"
      "weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,"
      "rate_lim,rate_max,check_status\n"
      "www,FRONTEND,,,3,9,8000,120,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,5,0,9,\n"
      "app,i-a1,0,0,2,4,,60,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,10,0,,1,3,1,,60,,2,3,,5,L7OK\n"
      "app,i-b2,0,0,0,4,,58,0,0,,0,,0,0,0,0,DOWN,1,1,0,2,1,1,1,,1,3,2,,58,,2,0,,5,L4CON\n"
      "app,BACKEND,0,0,2,9,800,118,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,10,0,,1,3,0,,118,,1,3,,9,\n";
  const auto servers = parse_stats(csv, "app");
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].name, "i-a1");
  EXPECT_EQ(servers[0].status, "UP");
  EXPECT_EQ(servers[0].current, 2);
  EXPECT_EQ(servers[0].total, 60);
  EXPECT_EQ(servers[0].check, "L7OK");
  EXPECT_EQ(servers[1].status, "DOWN");
  EXPECT_EQ(servers[1].check, "L4CON");
  EXPECT_TRUE(parse_stats(csv, "other").empty());
  EXPECT_TRUE(parse_stats("", "app").empty());
}

TEST(Placement, LaunchesGoToTheZoneWithFewestAndScaleInTakesFromTheZoneWithMost) {
  EXPECT_EQ(zone_for_launch({{"a", 0}, {"b", 0}}), "a");
  EXPECT_EQ(zone_for_launch({{"a", 1}, {"b", 0}}), "b");
  EXPECT_EQ(zone_for_launch({{"a", 2}, {"b", 2}, {"c", 1}}), "c");
  EXPECT_EQ(zone_for_removal({{"a", 2}, {"b", 2}}), "b");
  EXPECT_EQ(zone_for_removal({{"a", 3}, {"b", 2}}), "a");
  EXPECT_EQ(zone_for_launch({}), "") << "every zone failed: nowhere to launch";
}

TEST(Placement, FourInstancesOverTwoZonesAreTwoAndTwo) {
  std::map<std::string, int> counts{{"a", 0}, {"b", 0}};
  for (int i = 0; i < 4; ++i) ++counts[zone_for_launch(counts)];
  EXPECT_EQ(counts["a"], 2);
  EXPECT_EQ(counts["b"], 2);
}

TEST(DbServers, ThePrimaryFirstThenEachReplicaWithThePrimarysViewOfItsLag) {
  const std::vector<ReplicationRow> rows{
      {"replica-2", "streaming", 8192}, {"pg_basebackup", "backup", std::nullopt}, {"replica-1", "streaming", 0}};
  const auto servers = db_servers(layout(2), rows, {101, 102});
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].name, "primary");
  EXPECT_EQ(servers[0].role, "primary");
  EXPECT_TRUE(servers[0].up);
  EXPECT_EQ(servers[0].lag_bytes, 0);
  EXPECT_EQ(servers[0].port, 5432);
  EXPECT_EQ(servers[1].name, "replica-1");
  EXPECT_EQ(servers[1].role, "replica");
  EXPECT_EQ(servers[1].port, 5433);
  EXPECT_TRUE(servers[1].up);
  EXPECT_EQ(servers[1].state, "streaming");
  EXPECT_EQ(servers[1].lag_bytes, 0);
  EXPECT_EQ(servers[1].pid, 101);
  EXPECT_EQ(servers[2].port, 5434);
  EXPECT_EQ(servers[2].lag_bytes, 8192);
}

TEST(DbServers, AReplicaThePrimaryDoesNotListIsNotUpAndADeadOneIsDown) {
  const std::vector<ReplicationRow> rows{{"replica-2", "streaming", 0}};
  const auto servers = db_servers(layout(3), rows, {-1, 102, 103});
  ASSERT_EQ(servers.size(), 4u);
  EXPECT_FALSE(servers[1].up);
  EXPECT_EQ(servers[1].state, "down");
  EXPECT_EQ(servers[1].lag_bytes, std::nullopt);
  EXPECT_TRUE(servers[2].up);
  EXPECT_FALSE(servers[3].up) << "running, but not streaming";
  EXPECT_EQ(servers[3].state, "not streaming");
}

TEST(DbServers, AReplicaListedTwiceIsItsStreamingConnection) {
  // Right after a restart the primary may still list the old connection beside the new one.
  const std::vector<ReplicationRow> rows{{"replica-1", "catchup", std::nullopt}, {"replica-1", "streaming", 40}};
  const auto servers = db_servers(layout(1), rows, {101});
  EXPECT_EQ(servers[1].state, "streaming");
  EXPECT_EQ(servers[1].lag_bytes, 40);
  const auto catching_up = db_servers(layout(1), std::vector<ReplicationRow>{{"replica-1", "catchup", 9000}}, {101});
  EXPECT_TRUE(catching_up[1].up);
  EXPECT_EQ(catching_up[1].state, "catchup");
}

TEST(DbServers, WithoutAnAnswerFromThePrimaryNothingIsKnownAboutTheReplicas) {
  const auto servers = db_servers(layout(1), std::nullopt, {101});
  EXPECT_FALSE(servers[0].up);
  EXPECT_EQ(servers[0].state, "unreachable");
  EXPECT_FALSE(servers[1].up);
  EXPECT_EQ(servers[1].state, "unknown");
  EXPECT_EQ(db_servers(layout(0), std::vector<ReplicationRow>{}, {}).size(), 1u) << "no replicas: the primary only";
}

TEST(Layout, ReadsEachServersRoleNamePortAndDirectory) {
  const auto l = parse_layout(
      "primary primary 25492 /s/data/pg\nreplica replica-1 25493 /s/my data/replica-1\nredis redis 26492 /s/redis\n");
  ASSERT_TRUE(l) << l.error();
  EXPECT_EQ(l->primary.port, 25492);
  EXPECT_EQ(l->primary.dir, "/s/data/pg");
  ASSERT_EQ(l->replicas.size(), 1u);
  EXPECT_EQ(l->replicas[0].name, "replica-1");
  EXPECT_EQ(l->replicas[0].port, 25493);
  EXPECT_EQ(l->replicas[0].dir, "/s/my data/replica-1") << "the directory is the rest of the line";
  EXPECT_EQ(l->redis.port, 26492);
  EXPECT_EQ(parse_layout("primary primary 70000 /p\nreplica replica-1 70001 /r\nredis redis 1 /x\n")->replicas[0].port,
            70001)
      << "a port past 65535 is read as it is, for the region to refuse";
  EXPECT_FALSE(parse_layout("primary primary 5432 /p\n")) << "no redis";
  EXPECT_FALSE(parse_layout("primary primary x /p\nredis redis 1 /x\n"));
  EXPECT_FALSE(parse_layout("primary primary 5432\nredis redis 1 /x\n")) << "no directory";
  EXPECT_FALSE(parse_layout("standby s 5 /p\nprimary primary 5432 /p\nredis redis 1 /x\n"));
}

TEST(Layout, ReadsTheReplicatedTier) {
  const auto l = parse_layout(
      "monitor db-monitor 25439 /s/db-monitor\nnode db-a 25432 /s/db-a\nnode db-b 25438 /s/db-b\n"
      "replica replica-1 25433 /s/replica-1\nredis redis-a 26379 /s/redis-a\nredis redis-b 26380 /s/redis-b\n"
      "redis redis-c 26381 /s/redis-c\nsentinel sentinel-a 26382 /s/sentinel-a\nsentinel sentinel-b 26383 "
      "/s/sentinel-b\nsentinel sentinel-c 26384 /s/sentinel-c\n");
  ASSERT_TRUE(l) << l.error();
  EXPECT_TRUE(l->replicated);
  EXPECT_EQ(l->monitor.port, 25439);
  ASSERT_EQ(l->nodes.size(), 2u);
  EXPECT_EQ(l->nodes[1].name, "db-b");
  EXPECT_EQ(l->replicas.size(), 1u);
  EXPECT_EQ(l->redis_nodes.size(), 3u);
  EXPECT_EQ(l->redis.name, "redis-a") << "the first Redis node stands for the tier's address";
  EXPECT_EQ(l->sentinels.size(), 3u);
  EXPECT_FALSE(parse_layout("monitor m 1 /m\nnode db-a 2 /a\nredis redis-a 3 /r\nsentinel sentinel-a 4 /s\n"))
      << "one node is no pair";
  EXPECT_FALSE(parse_layout("primary primary 1 /p\nredis redis-a 2 /a\nredis redis-b 3 /b\n"))
      << "several Redis nodes without a monitor";
  EXPECT_FALSE(parse_layout("primary primary 1 /p\n")) << "no redis";
}

TEST(DataZones, ThePairAndRedisOverTheZonesTheMonitorInC) {
  EXPECT_EQ(data_zone_of("db-a"), "a");
  EXPECT_EQ(data_zone_of("db-b"), "b");
  EXPECT_EQ(data_zone_of("db-monitor"), "c");
  EXPECT_EQ(data_zone_of("redis-b"), "b");
  EXPECT_EQ(data_zone_of("sentinel-c"), "c");
  EXPECT_EQ(data_zone_of("replica-1"), "c") << "the first read replica away from the primary's zone";
  EXPECT_EQ(data_zone_of("replica-2"), "a");
  EXPECT_EQ(data_zone_of("replica-3"), "b");
  EXPECT_EQ(data_zone_of("replica-4"), "c");
}

TEST(DataZones, TheMonitorsStatesNameTheRoles) {
  EXPECT_EQ(formation_role({.name = "db-a", .reported = "primary", .candidate_priority = 50}), "primary");
  EXPECT_EQ(formation_role({.name = "db-a", .reported = "wait_primary", .candidate_priority = 50}), "primary")
      << "a primary whose standby is gone still takes writes";
  EXPECT_EQ(formation_role({.name = "db-b", .reported = "secondary", .candidate_priority = 50}), "standby");
  EXPECT_EQ(formation_role({.name = "db-b", .reported = "catchingup", .candidate_priority = 50}), "standby");
  EXPECT_EQ(formation_role({.name = "replica-1", .reported = "secondary", .candidate_priority = 0}), "replica")
      << "a node that never becomes primary is a read replica";
}

TEST(Layout, IsWhatTheServicesScriptSays) {
  // The script is where the convention lives; the region reads its answer.
  const auto state = std::filesystem::temp_directory_path() / ("layout-" + std::to_string(::getpid()));
  const auto command = fmt::format(
      "{}/deploy/local/services layout --state {} --pg-port 25492 --redis-port 26492 "
      "--replicas 2",
      MYCLOTHES_SOURCE_DIR, state.string());
  std::string text;
  if (FILE* out = ::popen(command.c_str(), "r")) {
    char buf[512];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof(buf), out)) > 0;) text.append(buf, n);
    EXPECT_EQ(::pclose(out), 0);
  }
  std::filesystem::remove_all(state);
  const auto l = parse_layout(text);
  ASSERT_TRUE(l) << l.error() << "\n" << text;
  EXPECT_EQ(l->primary.port, 25492);
  ASSERT_EQ(l->replicas.size(), 2u);
  EXPECT_EQ(l->replicas[1].name, "replica-2");
  EXPECT_EQ(l->replicas[1].port, 25494);
  EXPECT_EQ(l->replicas[1].dir, (state / "replica-2").string());
  EXPECT_EQ(l->redis.port, 26492);
}

TEST(Replicas, ThePostmasterPidIsTheFirstLineOfItsFile) {
  EXPECT_EQ(parse_postmaster_pid("4242\n/tmp/data/replica-1\n1700000000\n5433\n"), 4242);
  EXPECT_EQ(parse_postmaster_pid("4242"), 4242);
  EXPECT_EQ(parse_postmaster_pid(""), std::nullopt);
  EXPECT_EQ(parse_postmaster_pid("x\n"), std::nullopt);
  EXPECT_EQ(parse_postmaster_pid("-1\n"), std::nullopt);
}

TEST(Replicas, ProcessesAreAliveUntilTheyAreGone) {
  EXPECT_TRUE(process_alive(::getpid()));
  EXPECT_FALSE(process_alive(-1));
  EXPECT_FALSE(running_postmaster("/nonexistent/replica-1"));
}

TEST(Replicas, LagReadsInBytesAndPowersOf1024) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 kB");
  EXPECT_EQ(format_bytes(std::int64_t{3} * 1024 * 1024), "3.0 MB");
  EXPECT_EQ(format_bytes(5ll << 30), "5.0 GB");
}

TEST(RegionFile, ReplicasAndTheCacheSwitch) {
  const auto path = std::filesystem::temp_directory_path() / ("region-file-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << "[region]\ncache = false\n[data]\nreplicas = 5\n";
  }
  RegionOptions o;
  EXPECT_EQ(o.replicas, 2) << "two replicas unless told";
  EXPECT_TRUE(o.cache);
  EXPECT_EQ(load_region_options(path.string(), {}, o), std::nullopt);
  EXPECT_EQ(o.replicas, 5);
  EXPECT_FALSE(o.cache);
  {
    std::ofstream out(path);
    out << "[data]\nreplicas = 6\n";
  }
  const auto err = load_region_options(path.string(), {}, o);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("data.replicas: expected an integer from 0 to 5"), std::string::npos) << *err;
  {
    std::ofstream out(path);
    out << "[region]\ncache = \"no\"\n";
  }
  EXPECT_TRUE(load_region_options(path.string(), {}, o).has_value());
  std::filesystem::remove(path);
}

TEST(RegionFile, FlagsWinOverTheFileThroughTheSameSettings) {
  const auto path = std::filesystem::temp_directory_path() / ("region-flags-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << "[region]\ninstances = 3\nazs = 3\nsession = \"cookie\"\n";
  }
  RegionOptions o;
  EXPECT_EQ(load_region_options(path.string(), {{"region.instances", "5"}, {"region.network", "netns"}}, o),
            std::nullopt);
  EXPECT_EQ(o.instances, 5) << "the flag wins";
  EXPECT_EQ(o.azs, 3) << "the file's value where no flag was given";
  EXPECT_EQ(o.session, SessionMode::kCookie);
  EXPECT_EQ(o.network, NetworkMode::kNetns);
  RegionOptions bad;
  const auto err = load_region_options("", {{"region.session", "memcached"}}, bad);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(*err, "region.session: expected one of sticky|cookie|redis|dynamodb, got \"memcached\" (command line)");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mc::region
