#include <gtest/gtest.h>

#include "region/haproxy.hpp"
#include "region/region.hpp"

namespace mc::region {
namespace {

bool has(const std::string& text, std::string_view line) { return text.find(line) != std::string::npos; }

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
  EXPECT_EQ(add_server_command(s, "i-a1", "127.0.0.1", 40001),
            "add server app/i-a1 127.0.0.1:40001 check inter 500 fastinter 250 downinter 500 rise 2 fall 2");
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

}  // namespace
}  // namespace mc::region
