// mc::redis::Client and the Redis cache store against a live Redis (MYCLOTHES_REDIS_HOST/PORT, set by
// script/test).
#include "redis/client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "redis_fixture.hpp"

namespace mc::redis {
namespace {

using testing::Clock;
namespace net = boost::asio;
using namespace std::chrono_literals;

using RedisClientTest = testing::RedisTest;

TEST_F(RedisClientTest, ConnectsAndAnswers) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto pong = cmd(*c, {"PING"});
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, Reply::Type::kStatus);
  EXPECT_EQ(pong->str, "PONG");
}

TEST_F(RedisClientTest, ValuesAreBinarySafeAndLargeOnesSurvive) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  std::string binary("a\0b\r\n항공 점퍼", 3 + 2 + 13);
  ASSERT_TRUE(cmd(*c, {"SET", prefix_ + "bin", binary}));
  auto got = cmd(*c, {"GET", prefix_ + "bin"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->str, binary);
  // 4 MiB each way: many socket reads and writes for one command.
  std::string big(4 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ASSERT_TRUE(cmd(*c, {"SET", prefix_ + "big", big}));
  auto back = cmd(*c, {"GET", prefix_ + "big"});
  ASSERT_TRUE(back);
  EXPECT_EQ(back->str.size(), big.size());
  EXPECT_TRUE(back->str == big);
  cmd(*c, {"DEL", prefix_ + "bin", prefix_ + "big"});
}

TEST_F(RedisClientTest, RepliesOfTypesAreConverted) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  auto n = cmd(*c, {"INCRBY", prefix_ + "n", "41"});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->type, Reply::Type::kInteger);
  EXPECT_EQ(n->integer, 41);
  auto nil = cmd(*c, {"GET", prefix_ + "absent"});
  ASSERT_TRUE(nil);
  EXPECT_EQ(nil->type, Reply::Type::kNil);
  auto err = cmd(*c, {"INCR", prefix_ + "n", "extra"});
  ASSERT_TRUE(err) << "an error reply is a reply, not a transport failure";
  EXPECT_EQ(err->type, Reply::Type::kError);
  cmd(*c, {"RPUSH", prefix_ + "l", "a", "b"});
  auto list = cmd(*c, {"LRANGE", prefix_ + "l", "0", "-1"});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->type, Reply::Type::kArray);
  ASSERT_EQ(list->elements.size(), 2u);
  EXPECT_EQ(list->elements[1].str, "b");
  cmd(*c, {"DEL", prefix_ + "n", prefix_ + "l"});
}

TEST_F(RedisClientTest, ManyConcurrentCommandsEachGetTheirOwnReply) {
  auto c = client();
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  constexpr int kN = 2000;
  std::vector<std::string> got(kN);
  int done = 0;
  for (int i = 0; i < kN; ++i) {
    net::co_spawn(
        io_,
        [&, i]() -> Task<void> {
          std::vector<std::string> args{"ECHO", "value-" + std::to_string(i)};
          auto r = co_await c->command(std::move(args));
          if (r) got[static_cast<std::size_t>(i)] = r->str;
          ++done;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  ASSERT_TRUE(run_until([&] { return done == kN; }));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], "value-" + std::to_string(i));
}

TEST_F(RedisClientTest, NobodyListeningFailsFastAndKeepsTrying) {
  RedisConfig dead = config_;
  dead.port = 1;
  auto c = client(dead);
  run_until([] { return false; }, 200ms);
  EXPECT_FALSE(c->connected());
  const auto start = Clock::now();
  auto r = cmd(*c, {"PING"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CommandError::Kind::kDisconnected);
  EXPECT_LT(Clock::now() - start, 50ms) << "a disconnected client must not make callers wait";
}

// A server that accepts connections and then never answers: from the client's side, a hung Redis. (Pausing
// the real server would stall every other test that shares it.)
TEST_F(RedisClientTest, AServerThatStopsAnsweringTimesOutAndIsReconnected) {
  net::ip::tcp::acceptor silent(io_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::vector<net::ip::tcp::socket> accepted;
  std::function<void()> accept_next = [&] {
    silent.async_accept([&](const boost::system::error_code& ec, net::ip::tcp::socket s) {
      if (ec) return;
      accepted.push_back(std::move(s));
      accept_next();
    });
  };
  accept_next();
  RedisConfig hung = config_;
  hung.port = silent.local_endpoint().port();
  auto c = client(hung);
  ASSERT_TRUE(run_until([&] { return c->connected(); }));
  const auto start = Clock::now();
  auto r = cmd(*c, {"PING"});
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CommandError::Kind::kTimeout);
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 1000ms);
  // Another unanswered command two timeouts after the last reply makes the client give the connection up
  // and dial again.
  run_until([] { return false; }, 400ms);
  auto again = cmd(*c, {"PING"});
  ASSERT_FALSE(again);
  EXPECT_TRUE(run_until([&] { return accepted.size() >= 2; }, 3000ms))
      << "the client should have reconnected after the server stopped answering";
  silent.close();
}

TEST_F(RedisClientTest, AKilledConnectionIsReestablished) {
  auto c = client();
  auto admin = client();
  ASSERT_TRUE(run_until([&] { return c->connected() && admin->connected(); }));
  ASSERT_TRUE(cmd(*c, {"CLIENT", "SETNAME", "victim"}));
  auto id = cmd(*c, {"CLIENT", "ID"});
  ASSERT_TRUE(id);
  auto killed = cmd(*admin, {"CLIENT", "KILL", "ID", std::to_string(id->integer)});
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->integer, 1);
  ASSERT_TRUE(run_until([&] { return !c->connected(); }, 2000ms)) << "the client should notice the close";
  ASSERT_TRUE(run_until([&] { return c->connected(); }, 5000ms)) << "and reconnect by itself";
  auto again = cmd(*c, {"CLIENT", "ID"});
  ASSERT_TRUE(again);
  EXPECT_NE(again->integer, id->integer);
}

}  // namespace
}  // namespace mc::redis
