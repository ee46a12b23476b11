// The client in Sentinel mode against a replicated Redis the fixture starts itself (sentinel_fixture.hpp):
// discovery, failover without anyone's help, refusing a server that is not the primary, leaving one that
// says so, and WAIT.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/metrics.hpp"
#include "integration/redis/sentinel_fixture.hpp"

namespace mc::redis {
namespace {

using testing::kNobodyPort;
using testing::kPrimaryPort;
using testing::kReplicaPort;
using testing::kSentinelPorts;
using testing::kSpareSentinelPort;
using RedisSentinelTest = testing::SentinelTest;
namespace net = boost::asio;
using namespace std::chrono_literals;

std::uint64_t counter(const std::string& name) { return metrics::registry().counter(name).value(); }

TEST_F(RedisSentinelTest, DiscoveryFindsThePrimaryAskingTheSentinelsInTurn) {
  RedisConfig config = config_;
  // The first sentinel on the list is not there: the next one is asked.
  config.sentinels.insert(config.sentinels.begin(), Endpoint{"127.0.0.1", kNobodyPort});
  auto c = client(config);
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  EXPECT_EQ(server_port(*c), kPrimaryPort);
  auto set = cmd(*c, {"SET", "sentinel:test", "1"});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->str, "OK");
}

TEST_F(RedisSentinelTest, AfterThePrimaryIsKilledTheClientFindsThePromotedReplicaByItself) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  ASSERT_EQ(server_port(*c), kPrimaryPort);
  // Written and confirmed by the replica, so it must survive the failover.
  auto written = run(c->command_and_wait({"SET", "sentinel:kept", "before"}, 1, 300ms));
  ASSERT_TRUE(written);
  ASSERT_EQ(written->replicas, 1);
  const auto changes = counter("myclothes_redis_primary_changes_total");

  kill_server("primary");
  const auto killed = Clock::now();
  ASSERT_TRUE(run_until([&] { return !c->connected(); }, 2s)) << "the client should notice the primary is gone";
  // Nobody tells the client anything: it keeps asking the sentinels with its backoff until one names the
  // promoted replica, and that answers ROLE with master.
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 10s)) << "no primary within 10 s of the kill";
  const auto back = Clock::now() - killed;
  EXPECT_EQ(server_port(*c), kReplicaPort);
  EXPECT_EQ(testing::SentinelTest::sentinels_primary(), kReplicaPort);
  auto read = cmd(*c, {"GET", "sentinel:kept"});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->str, "before") << "a write WAIT confirmed outlives its primary";
  auto write = cmd(*c, {"SET", "sentinel:after", "1"});
  ASSERT_TRUE(write) << write.error().message;
  EXPECT_EQ(write->str, "OK");
  EXPECT_EQ(counter("myclothes_redis_primary_changes_total"), changes + 1);
  std::cerr << "writes were back " << std::chrono::duration_cast<std::chrono::milliseconds>(back).count()
            << " ms after the kill\n";
}

// A sentinel that names the replica (behind, or wrong): its answer is refused after ROLE, and the client does
// not send a command there. A fake one, since real sentinels agree on the primary.
class LyingSentinel {
 public:
  LyingSentinel(net::io_context& io, std::uint16_t port, std::uint16_t names)
      : acceptor_(io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port)) {
    const std::string port_text = std::to_string(names);
    reply_ = "*2\r\n$9\r\n127.0.0.1\r\n$" + std::to_string(port_text.size()) + "\r\n" + port_text + "\r\n";
    net::co_spawn(io, serve(), net::detached);
  }
  ~LyingSentinel() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  int asked() const { return asked_; }

 private:
  Task<void> serve() {
    constexpr auto kTuple = net::as_tuple(net::use_awaitable);
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      std::array<char, 256> request{};
      auto [read_ec, n] = co_await socket.async_read_some(net::buffer(request), kTuple);
      if (read_ec || std::string_view(request.data(), n).find("get-master-addr-by-name") == std::string_view::npos) {
        continue;
      }
      ++asked_;
      auto [write_ec, written] = co_await net::async_write(socket, net::buffer(reply_), kTuple);
      (void)write_ec;
      (void)written;
    }
  }

  net::ip::tcp::acceptor acceptor_;
  std::string reply_;
  int asked_ = 0;
};

TEST_F(RedisSentinelTest, AServerThatIsNotThePrimaryIsRefused) {
  LyingSentinel liar(io_, kSpareSentinelPort, kReplicaPort);
  RedisConfig config = config_;
  config.sentinels = {Endpoint{"127.0.0.1", kSpareSentinelPort}};
  auto c = client(config);
  ASSERT_TRUE(run_until([&] { return liar.asked() >= 3; }, 5s)) << "the client should ask again on every attempt";
  EXPECT_FALSE(c->connected()) << "a replica is never taken for the primary";
  auto r = cmd(*c, {"SET", "sentinel:never", "1"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CommandError::Kind::kDisconnected);

  // A list whose entry is a Redis server but no sentinel: no answer, no connection.
  RedisConfig not_a_sentinel = config_;
  not_a_sentinel.sentinels = {Endpoint{"127.0.0.1", kReplicaPort}};
  auto d = client(not_a_sentinel);
  run_until([] { return false; }, 1s);
  EXPECT_FALSE(d->connected());
}

TEST_F(RedisSentinelTest, ASentinelThatNamedAReplicaIsAskedLastNextTime) {
  LyingSentinel liar(io_, kSpareSentinelPort, kReplicaPort);
  RedisConfig config = config_;
  config.sentinels = {Endpoint{"127.0.0.1", kSpareSentinelPort}, Endpoint{"127.0.0.1", kSentinelPorts[0]}};
  auto c = client(config);
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  EXPECT_EQ(liar.asked(), 1) << "asked first, refused, then asked after the real one";
  EXPECT_EQ(server_port(*c), kPrimaryPort);
}

TEST_F(RedisSentinelTest, APrimaryThatCannotReachItsReplicasIsLeftAndAskedForAgain) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  auto id = cmd(*c, {"CLIENT", "ID"});
  ASSERT_TRUE(id);
  // What an isolated primary says under min-replicas-to-write: -NOREPLICAS (a demoted one: -READONLY).
  ASSERT_TRUE(testing::SyncRedis(kPrimaryPort).command({"CONFIG", "SET", "min-replicas-to-write", "2"}));
  auto refused = cmd(*c, {"SET", "sentinel:refused", "1"});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->type, Reply::Type::kError) << "the command itself fails to its caller";
  EXPECT_EQ(refused->str.rfind("NOREPLICAS", 0), 0u) << refused->str;
  ASSERT_TRUE(testing::SyncRedis(kPrimaryPort).command({"CONFIG", "SET", "min-replicas-to-write", "0"}));
  // The connection is given up and a new one made after asking the sentinels (here: the same primary).
  ASSERT_TRUE(run_until([&] { return !c->connected(); }, 2s));
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  auto again = cmd(*c, {"CLIENT", "ID"});
  ASSERT_TRUE(again);
  EXPECT_NE(again->integer, id->integer);
}

TEST_F(RedisSentinelTest, WaitCountsTheReplicaAndFallsShortWhenItHangs) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5s));
  auto ok = run(c->command_and_wait({"SET", "sentinel:w", "1"}, 1, 300ms));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->reply.str, "OK");
  EXPECT_EQ(ok->replicas, 1);

  pause_server("replica");
  const auto start = Clock::now();
  auto short_of_one = run(c->command_and_wait({"SET", "sentinel:w", "2"}, 1, 300ms));
  const auto waited = Clock::now() - start;
  resume_server("replica");
  ASSERT_TRUE(short_of_one) << "the write itself succeeded";
  EXPECT_EQ(short_of_one->reply.str, "OK");
  EXPECT_EQ(short_of_one->replicas, 0);
  EXPECT_GE(waited, 290ms) << "WAIT waits for its timeout";
  EXPECT_LT(waited, 1s);
  EXPECT_TRUE(c->connected()) << "a WAIT that ends by its timeout is no sign of a hung server";
  auto after = cmd(*c, {"GET", "sentinel:w"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->str, "2");
}

}  // namespace
}  // namespace mc::redis
