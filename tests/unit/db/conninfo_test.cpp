#include "db/conninfo.hpp"

#include <gtest/gtest.h>

#include <string>

#include "db/connection.hpp"

namespace mc::db::detail {
namespace {

using namespace std::chrono_literals;

TEST(Conninfo, SeveralHostsAreTriedOneAtATimeEachWithItsPort) {
  const auto plan =
      plan_connection("host=pg-a,pg-b port=5433,5434 dbname=myclothes user=myclothes target_session_attrs=read-write");
  ASSERT_EQ(plan.hosts.size(), 2U);
  EXPECT_EQ(plan.hosts[0].host, "pg-a");
  EXPECT_EQ(plan.hosts[0].port, "5433");
  EXPECT_EQ(plan.hosts[1].host, "pg-b");
  EXPECT_EQ(plan.hosts[1].port, "5434");
  EXPECT_EQ(plan.hosts[1].label(), "pg-b:5434");
}

TEST(Conninfo, OnePortServesEveryHostAndUrisSplitToo) {
  const auto one_port = plan_connection("host=10.0.0.1,10.0.0.2,10.0.0.3 port=5432");
  ASSERT_EQ(one_port.hosts.size(), 3U);
  EXPECT_EQ(one_port.hosts[2].host, "10.0.0.3");
  EXPECT_EQ(one_port.hosts[2].port, "5432");
  const auto uri = plan_connection("postgresql://a:1,b:2/myclothes?target_session_attrs=read-write");
  ASSERT_EQ(uri.hosts.size(), 2U);
  EXPECT_EQ(uri.hosts[0].label(), "a:1");
  EXPECT_EQ(uri.hosts[1].label(), "b:2");
  const auto addrs = plan_connection("host=a,b hostaddr=10.0.0.1,10.0.0.2 port=1,2");
  ASSERT_EQ(addrs.hosts.size(), 2U);
  EXPECT_EQ(addrs.hosts[1].hostaddr, "10.0.0.2");
}

TEST(Conninfo, OneHostOrAListLibpqWouldRefuseIsLeftToLibpq) {
  for (const char* conninfo : {"host=127.0.0.1 port=5432 dbname=myclothes", "dbname=myclothes", "host=a,b port=1,2,3",
                               "host=a,,b", "host=a,b port=1,", "not a conninfo ' at all"}) {
    const auto plan = plan_connection(conninfo);
    ASSERT_EQ(plan.hosts.size(), 1U) << conninfo;
    EXPECT_TRUE(plan.hosts[0].host.empty() && plan.hosts[0].port.empty()) << conninfo;
  }
}

TEST(Conninfo, TheStatementTimeoutGoesAheadOfTheConninfosOwnOptions) {
  EXPECT_EQ(session_options("", 5000ms), "-c statement_timeout=5000");
  EXPECT_EQ(session_options("", 0ms), "");
  EXPECT_EQ(session_options("-c search_path=shop", 250ms), "-c statement_timeout=250 -c search_path=shop");
  EXPECT_EQ(session_options("-c statement_timeout=9", 0ms), "-c statement_timeout=9");
  EXPECT_EQ(plan_connection("dbname=x options='-c work_mem=64MB'").options, "-c work_mem=64MB");
}

TEST(Conninfo, ReadOnlyAndShutdownAnswersRetireAPrimaryConnection) {
  for (const char* sqlstate : {"25006", "57P01", "57P02", "57P03"}) EXPECT_TRUE(server_gone(sqlstate)) << sqlstate;
  for (const char* sqlstate : {"", "23505", "40001", "57014", "42601"}) EXPECT_FALSE(server_gone(sqlstate)) << sqlstate;
}

}  // namespace
}  // namespace mc::db::detail
