// The region's parts that run alone: the control protocol's dispatch and the status view's rendering.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "region/control.hpp"
#include "region/status_view.hpp"

namespace mc::region {
namespace {

// Records which verb the protocol asked for.
struct FakeTarget final : ControlTarget {
  std::string status(bool json) override { return json ? "status json\n" : "status table\n"; }
  std::string kill(const std::string& target) override { return "kill " + target + "\n"; }
  std::string scale(const std::string& count) override { return "scale " + count + "\n"; }
  std::string fail_zone(const std::string& zone) override { return "fail " + zone + "\n"; }
  std::string restore_zone(const std::string& zone) override { return "restore " + zone + "\n"; }
  std::string security_groups() override { return "groups\n"; }
  std::string sg_check() override { return "matrix\n"; }
  void down() override { downs++; }
  int downs = 0;
};

TEST(ControlProtocol, ALineIsAVerbAndOneArgument) {
  const auto c = parse_command("  scale   3 extra");
  EXPECT_EQ(c.verb, "scale");
  EXPECT_EQ(c.arg, "3");
  EXPECT_EQ(parse_command("").verb, "");
  EXPECT_EQ(parse_command("status").arg, "");
}

TEST(ControlProtocol, EachVerbGoesToItsPart) {
  FakeTarget t;
  EXPECT_EQ(handle("ping", t), "pong\n");
  EXPECT_EQ(handle("status", t), "status table\n");
  EXPECT_EQ(handle("status --json", t), "status json\n");
  EXPECT_EQ(handle("status --yaml", t), "status table\n") << "only --json changes the answer";
  EXPECT_EQ(handle("kill replica-1", t), "kill replica-1\n");
  EXPECT_EQ(handle("kill i-a1", t), "kill i-a1\n");
  EXPECT_EQ(handle("scale 3", t), "scale 3\n");
  EXPECT_EQ(handle("fail-az b", t), "fail b\n");
  EXPECT_EQ(handle("restore-az b", t), "restore b\n");
  EXPECT_EQ(handle("sg", t), "groups\n");
  EXPECT_EQ(handle("sg-check", t), "matrix\n");
  EXPECT_EQ(handle("reboot", t),
            "error: unknown command \"reboot\"; try status, kill ID, scale N, fail-az AZ, restore-az AZ, sg, sg-check, "
            "down\n");
  EXPECT_EQ(t.downs, 0) << "down is the socket's to answer later, never handle's";
}

TEST(ControlProtocol, AnAnswerFailsWhenItsFirstOrLastLineIsAnError) {
  EXPECT_TRUE(failed("error: no zone q\n"));
  EXPECT_TRUE(failed("matrix\nrow\nerror: 2 paths differ\n"));
  EXPECT_TRUE(failed("matrix\nerror: 2 paths differ"));
  EXPECT_FALSE(failed("matrix\nrow\nsg-check: 40 paths probed, all as declared\n"));
  EXPECT_FALSE(failed("region: an error: is only a word here\n"));
  EXPECT_FALSE(failed(""));
}

TEST(ControlProtocol, TheSocketLivesInTheStateDirectory) { EXPECT_EQ(control_socket("/s/rg"), "/s/rg/control.sock"); }

struct Fixture {
  RegionOptions o;
  std::vector<Instance> instances;
  std::vector<std::string> zones{"a", "b"};
  std::set<std::string> failed{"b"};
  Fixture() {
    o.lb_port = 18080;
    o.redis_port = 26492;
    o.network = NetworkMode::kLoopback;
    Instance i;
    i.id = "i-a1";
    i.az = "a";
    i.address = "127.0.0.1";
    i.port = 20001;
    i.pid = 77;
    i.state = State::kInService;
    i.lb_status = "UP";
    i.rps = 2.6;
    instances.push_back(i);
  }
  RegionView view() const {
    DbServer primary{
        .name = "primary", .role = "primary", .port = 25492, .up = true, .state = "serving", .lag_bytes = 0};
    DbServer replica{.name = "replica-1", .role = "replica", .port = 25493, .state = "down"};
    return RegionView{.options = o,
                      .instances = instances,
                      .zones = zones,
                      .failed_zones = failed,
                      .desired = 2,
                      .db = {primary, replica},
                      .redis_up = true,
                      .redis_address = "127.0.0.1:26492"};
  }
};

TEST(StatusView, TheTableShowsInstancesZonesDatabasesAndRedis) {
  Fixture f;
  const auto table = status_table(f.view());
  EXPECT_NE(table.find("MyClothes region  load balancer http://127.0.0.1:18080/  sessions redis  network loopback\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("i-a1       a    in-service  UP              2.6  http://127.0.0.1:20001/\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("desired 2, zones a,b (failed: b)\n"), std::string::npos) << table;
  EXPECT_NE(table.find("replica-1  replica  down                   -  postgresql://127.0.0.1:25493/myclothes\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("Redis 127.0.0.1:26492 up   catalog cache on\n"), std::string::npos) << table;
}

TEST(StatusView, TheJsonCarriesTheSameFields) {
  Fixture f;
  const auto j = status_json(f.view());
  EXPECT_EQ(j.at("lb").as_string(), "http://127.0.0.1:18080/");
  EXPECT_EQ(j.at("desired").as_int64(), 2);
  EXPECT_EQ(j.at("zones").as_array().at(1).at("failed").as_bool(), true);
  const auto& i = j.at("instances").as_array().at(0);
  EXPECT_EQ(i.at("state").as_string(), "in-service");
  EXPECT_EQ(i.at("rps").as_int64(), 3) << "rounded";
  const auto& replica = j.at("db").as_array().at(1);
  EXPECT_TRUE(replica.at("lag_bytes").is_null());
  EXPECT_TRUE(replica.at("pid").is_null()) << "a replica that is down has no pid";
  EXPECT_FALSE(j.at("db").as_array().at(0).as_object().contains("pid")) << "the primary's pid is not shown";
  EXPECT_EQ(j.at("redis").as_array().at(0).at("url").as_string(), "redis://127.0.0.1:26492");
}

}  // namespace
}  // namespace mc::region
