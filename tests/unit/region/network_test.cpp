// The region's netns network for real (it needs root, as the region does; CI runs as root): the plan's
// addresses, the namespaces and the machine's link, the security groups' sets following the hosts, a zone cut
// off and reconnected, sg-check's probes, and nothing left after destroy().

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "region/network.hpp"
#include "region/process.hpp"

namespace mc::region {
namespace {

namespace fs = std::filesystem;

TEST(NetworkId, IsFourHexDigitsOfTheStateDirectory) {
  const auto a = network_id("/srv/region-a");
  EXPECT_EQ(a.size(), 4U);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_EQ(a, network_id("/srv/region-a/")) << "the same directory, the same id";
  EXPECT_EQ(a, network_id("/srv/x/../region-a"));
  EXPECT_NE(a, network_id("/srv/region-b"));
}

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0U) << "the network test makes namespaces: run it as root (CI does)";
    ASSERT_EQ(netns_unavailable(), std::nullopt) << "install iproute2 and nftables (script/bootstrap)";
    auto groups = sg::load(MYCLOTHES_SOURCE_DIR "/deploy/local/security-groups.toml");
    ASSERT_TRUE(groups) << groups.error();
    id_ = fmt::format("t{:03x}", ::getpid() & 0xfff);
    files_ = fs::temp_directory_path() / ("mc-net-" + id_);
    net_ = std::make_unique<Network>(id_, std::vector<std::string>{"a", "b", "c"}, std::move(*groups), files_);
  }
  void TearDown() override {
    net_.reset();
    (void)remove_network(id_);
    fs::remove_all(files_);
  }

  // The elements of set `name` in the table of `host`'s namespace, as nft lists them.
  std::string set_of(const NetHost& host, const std::string& name) {
    auto text = capture({"nft", "list", "set", "inet", "mc_sg", name}, host.netns_path());
    return text ? *text : text.error();
  }

  std::string id_;
  std::string files_;
  std::unique_ptr<Network> net_;
};

TEST_F(NetworkTest, HostsGetTheirZonesSubnetsAndTheGroupsFollowThem) {
  ASSERT_EQ(net_->create(), std::nullopt);
  EXPECT_TRUE(fs::exists("/sys/class/net/mc" + id_)) << "the machine's one link";
  EXPECT_EQ(net_->lb().address.substr(net_->lb().address.rfind('.')), ".10");
  auto app = net_->add_host("i-a1", "app", "a");
  ASSERT_TRUE(app) << app.error();
  auto db = net_->add_host("primary", "pg", "c");
  ASSERT_TRUE(db) << db.error();
  EXPECT_TRUE(app->address.ends_with(".10")) << app->address;
  EXPECT_TRUE(db->address.ends_with(".200")) << db->address;
  EXPECT_NE(app->address.substr(0, app->address.rfind('.')), db->address.substr(0, db->address.rfind('.')))
      << "zones are subnets of their own";
  EXPECT_EQ(leftover_namespaces(id_).size(), 5U) << "router, internet, lb, i-a1, primary";

  // The database's sg_app set learns a new instance, and forgets it when it goes; no rule is rewritten.
  EXPECT_NE(set_of(*db, "sg_app").find(app->address), std::string::npos) << set_of(*db, "sg_app");
  auto second = net_->add_host("i-b2", "app", "b");
  ASSERT_TRUE(second) << second.error();
  EXPECT_NE(set_of(*db, "sg_app").find(second->address), std::string::npos) << set_of(*db, "sg_app");
  net_->remove_host("i-b2");
  EXPECT_EQ(set_of(*db, "sg_app").find(second->address), std::string::npos) << set_of(*db, "sg_app");
  EXPECT_EQ(leftover_namespaces(id_).size(), 5U) << "the host's namespace went with it";
}

TEST_F(NetworkTest, SgCheckSeesTheDeclaredPathsAndACutZoneIsUnreachable) {
  ASSERT_EQ(net_->create(), std::nullopt);
  auto app = net_->add_host("i-a1", "app", "a");
  ASSERT_TRUE(app) << app.error();
  auto db = net_->add_host("primary", "pg", "c");
  ASSERT_TRUE(db) << db.error();
  // Nothing listens: an allowed path is refused by the host (open), a forbidden one is dropped.
  const auto probes = net_->check();
  ASSERT_FALSE(probes.empty());
  EXPECT_TRUE(sg::all_as_expected(probes)) << sg::render_matrix(probes);
  const auto internet_db = std::find_if(probes.begin(), probes.end(), [](const sg::Probe& p) {
    return p.from == "internet" && p.to == "primary" && p.port == kPgPort;
  });
  ASSERT_NE(internet_db, probes.end());
  EXPECT_FALSE(internet_db->expected);
  EXPECT_EQ(internet_db->observed, std::optional<bool>(false)) << internet_db->detail;

  ASSERT_EQ(net_->cut_zone("a"), std::nullopt);
  EXPECT_TRUE(net_->cut_off("a"));
  EXPECT_FALSE(port_open(kAppPort, app->address)) << "nothing reaches a cut-off zone, not even the operators";
  ASSERT_EQ(net_->restore_zone("a"), std::nullopt);
  const auto again = net_->check();
  EXPECT_TRUE(sg::all_as_expected(again)) << sg::render_matrix(again);
  EXPECT_EQ(net_->cut_zone("q"), std::optional<std::string>("no zone q (zones: a, b, c)"));
}

TEST_F(NetworkTest, DestroyLeavesNoNamespaceAndNoLink) {
  ASSERT_EQ(net_->create(), std::nullopt);
  ASSERT_TRUE(net_->add_host("i-a1", "app", "a"));
  net_->destroy();
  EXPECT_TRUE(leftover_namespaces(id_).empty());
  EXPECT_FALSE(fs::exists("/sys/class/net/mc" + id_));
  auto removed = remove_network(id_);
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_NE(removed->find("removed 0 namespaces"), std::string::npos) << *removed;
}

}  // namespace
}  // namespace mc::region
