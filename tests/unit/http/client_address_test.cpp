// The client behind a load balancer: X-Forwarded-For believed only from trusted proxies, read from the right.

#include "http/client_address.hpp"

#include <gtest/gtest.h>

namespace mc::http {
namespace {

TrustedProxies trusted(std::vector<std::string> entries) {
  auto t = TrustedProxies::parse(entries);
  EXPECT_TRUE(t) << t.error();
  return t ? *t : TrustedProxies();
}

TEST(TrustedProxies, AddressesAndNetworks) {
  const auto t = trusted({"10.92.1.10", "192.168.0.0/16", " 127.0.0.1 ", "::1"});
  EXPECT_TRUE(t.contains("10.92.1.10"));
  EXPECT_FALSE(t.contains("10.92.1.11"));
  EXPECT_TRUE(t.contains("192.168.44.7"));
  EXPECT_FALSE(t.contains("192.169.0.1"));
  EXPECT_TRUE(t.contains("127.0.0.1"));
  EXPECT_TRUE(t.contains("::1"));
  EXPECT_FALSE(t.contains("not an address"));
  EXPECT_TRUE(trusted({"0.0.0.0/0"}).contains("8.8.8.8"));
  EXPECT_TRUE(trusted({}).empty());
}

TEST(TrustedProxies, AnEntryThatIsNoAddressIsAnError) {
  for (const char* bad : {"10.92.1", "10.92.0.0/33", "10.92.0.0/", "lb.internal", "10.0.0.0/8x"}) {
    const auto t = TrustedProxies::parse({bad});
    ASSERT_FALSE(t) << bad;
    EXPECT_NE(t.error().find(bad), std::string::npos) << t.error();
  }
}

TEST(ClientAddress, OnlyATrustedPeerIsBelieved) {
  const auto lb = trusted({"10.92.1.10"});
  EXPECT_EQ(client_address("10.92.1.10", "203.0.113.9", lb), "203.0.113.9");
  EXPECT_EQ(client_address("10.92.3.7", "203.0.113.9", lb), "10.92.3.7") << "anyone else's header is ignored";
  EXPECT_EQ(client_address("10.92.1.10", "", lb), "10.92.1.10");
}

TEST(ClientAddress, ReadFromTheRightSoAForgedEntryNeverCounts) {
  const auto lb = trusted({"10.92.1.10", "10.92.0.0/30"});
  // The client wrote "1.1.1.1" itself; the balancer appended what it saw.
  EXPECT_EQ(client_address("10.92.1.10", "1.1.1.1, 203.0.113.9", lb), "203.0.113.9");
  EXPECT_EQ(client_address("10.92.1.10", "203.0.113.9, 10.92.0.1", lb), "203.0.113.9") << "trusted hops skipped";
  EXPECT_EQ(client_address("10.92.1.10", "10.92.0.2", lb), "10.92.0.2") << "only proxies: the farthest";
  EXPECT_EQ(client_address("10.92.1.10", "1.1.1.1, <script>", lb), "10.92.1.10") << "garbage: the peer";
  EXPECT_EQ(client_address("10.92.1.10", " , 203.0.113.9 ,", lb), "203.0.113.9");
}

}  // namespace
}  // namespace mc::http
