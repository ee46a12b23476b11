// mc::db::Cluster against a live PostgreSQL (MYCLOTHES_DB_PRIMARY, set by script/test).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "db/database.hpp"

namespace mc::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kDeadServer = "host=127.0.0.1 port=1 dbname=myclothes user=myclothes";

metrics::Counter& served(Role role) {
  return metrics::registry().counter("myclothes_db_queries_total", {{"role", std::string(to_string(role))}});
}

// Lets other handlers run until `ready()` holds; bounded, so a bug fails the test instead of hanging it.
asio::awaitable<bool> yield_until(const std::function<bool()>& ready, int max_yields = 100000) {
  for (int i = 0; i < max_yields && !ready(); ++i) co_await asio::post(asio::use_awaitable);
  co_return ready();
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* primary = std::getenv("MYCLOTHES_DB_PRIMARY");
    ASSERT_NE(primary, nullptr) << "MYCLOTHES_DB_PRIMARY is not set: run this test through script/test, which "
                                   "starts PostgreSQL and exports the connection settings";
    primary_ = primary;
  }

  void TearDown() override {
    cluster_.reset();
    // Destroying the cluster must leave nothing behind on the io_context (no waits, timers or coroutines).
    io_.restart();
    const auto start = Clock::now();
    io_.run_for(3s);
    EXPECT_LT(Clock::now() - start, 2s) << "work was still pending after the cluster was destroyed";
  }

  DbConfig config(unsigned pool_size = 2, std::chrono::milliseconds timeout = 5000ms) const {
    DbConfig c;
    c.primary = primary_;
    c.pool_size = pool_size;
    c.query_timeout = timeout;
    return c;
  }

  // Runs the io_context until `done()` holds, at most `limit`.
  void run_until(const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline) {
      if (io_.stopped()) io_.restart();  // it stops whenever it runs out of work, e.g. between two phases
      io_.run_one_for(100ms);
    }
    ASSERT_TRUE(done()) << "not finished within " << limit.count() << " s";
  }

  // Runs one test coroutine to completion and rethrows what it threw.
  template <class F>
  void run(F body, std::chrono::seconds limit = 20s) {
    bool finished = false;
    std::exception_ptr error;
    asio::co_spawn(io_, std::move(body), [&](std::exception_ptr e) {
      error = e;
      finished = true;
    });
    run_until([&] { return finished; }, limit);
    if (error) std::rethrow_exception(error);
  }

  asio::io_context io_;
  std::string primary_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(ClusterTest, TextParamsNullAndKoreanRoundTrip) {
  cluster_ = make_cluster(io_, config());
  run([&]() -> asio::awaitable<void> {
    const Statement select{"cluster_test_params",
                           "SELECT $1::text AS word, $2::text AS nothing, $3::int8 + 1 AS next, "
                           "length($1::text) AS chars, $2::text IS NULL AS was_null"};
    const Result r = co_await cluster_->query(Role::kPrimary, select, make_params("항공 점퍼", std::nullopt, "41"));
    EXPECT_EQ(r.rows(), 1);
    EXPECT_EQ(r.columns(), 5);
    EXPECT_EQ(r.text(0, r.column("word")), "항공 점퍼");
    EXPECT_TRUE(r.is_null(0, r.column("nothing")));
    EXPECT_EQ(r.text(0, r.column("nothing")), "");
    EXPECT_EQ(r.int64(0, r.column("next")), 42);
    EXPECT_EQ(r.int64(0, r.column("chars")), 5);  // characters, not bytes: the text arrived as UTF-8
    EXPECT_TRUE(r.boolean(0, r.column("was_null")));
    EXPECT_EQ(r.column("missing"), -1);
    EXPECT_EQ(r.served_by(), Role::kPrimary);

    // Through a table: the value is stored and read back unchanged.
    const std::string table = "cluster_test_" + std::to_string(::getpid());
    const std::string create_sql = "CREATE TABLE " + table + " (id serial PRIMARY KEY, name text)";
    const std::string insert_sql = "INSERT INTO " + table + " (name) VALUES ($1), ($2)";
    const std::string select_sql = "SELECT id, name FROM " + table + " WHERE name = $1";
    const std::string drop_sql = "DROP TABLE " + table;
    co_await cluster_->query(Role::kPrimary, {"cluster_test_create", create_sql});
    const Result inserted = co_await cluster_->query(Role::kPrimary, {"cluster_test_insert", insert_sql},
                                                     make_params("항공 점퍼", "flight jacket"));
    EXPECT_EQ(inserted.affected_rows(), 2);
    const Result found =
        co_await cluster_->query(Role::kPrimary, {"cluster_test_select", select_sql}, make_params("항공 점퍼"));
    EXPECT_EQ(found.rows(), 1);
    if (found.rows() == 1) {
      EXPECT_EQ(found.text(0, 1), "항공 점퍼");
    }
    co_await cluster_->query(Role::kPrimary, {"cluster_test_drop", drop_sql});
  });
}

TEST_F(ClusterTest, ThousandConcurrentQueriesArePipelinedOnThePool) {
  constexpr unsigned kPool = 3;
  constexpr int kQueries = 1000;
  cluster_ = make_cluster(io_, config(kPool));
  const auto before = served(Role::kPrimary).value();
  const Statement twice{"cluster_test_twice", "SELECT $1::int8 * 2, pg_backend_pid()"};

  std::vector<std::int64_t> answers(kQueries, -1);
  std::vector<std::string> pids(kQueries);
  int completed = 0;
  int failed = 0;
  for (int i = 0; i < kQueries; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          const Result r = co_await cluster_->query(Role::kPrimary, twice, make_params(std::to_string(i)));
          answers[i] = r.int64(0, 0);
          pids[i] = std::string(r.text(0, 1));
        },
        [&](std::exception_ptr e) {
          ++completed;
          if (e) ++failed;
        });
  }
  run_until([&] { return completed == kQueries; }, 30s);

  EXPECT_EQ(failed, 0);
  for (int i = 0; i < kQueries; ++i) ASSERT_EQ(answers[i], 2 * i) << "query " << i << " got another's answer";
  const std::set<std::string> backends(pids.begin(), pids.end());
  EXPECT_LE(backends.size(), kPool);
  EXPECT_GE(backends.size(), 2U) << "the pool's connections were not shared out";
  EXPECT_GE(served(Role::kPrimary).value() - before, static_cast<std::uint64_t>(kQueries));
}

TEST_F(ClusterTest, LargeParamsAndResultsCrossTheSocketBuffers) {
  // Megabytes each way on one connection: PQflush returning 1 (libpq sends at most 64 KiB per call) and reads that
  // leave data in the socket.
  cluster_ = make_cluster(io_, config(1));
  const Statement echo{"cluster_test_big_echo", "SELECT $1::text, length($1::text)"};
  constexpr int kQueries = 200;
  int completed = 0;
  int intact = 0;
  for (int i = 0; i < kQueries; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          const std::size_t size = i % 20 == 0 ? (1U << 20) : 20000;
          const std::string payload(size, static_cast<char>('a' + i % 26));
          const Result r = co_await cluster_->query(Role::kPrimary, echo, make_params(payload));
          if (r.text(0, 0) == payload && r.int64(0, 1) == static_cast<std::int64_t>(size)) ++intact;
        },
        [&](std::exception_ptr) { ++completed; });
  }
  run_until([&] { return completed == kQueries; }, 30s);
  EXPECT_EQ(intact, kQueries);
}

TEST_F(ClusterTest, SqlErrorFailsOnlyItsOwnQuery) {
  cluster_ = make_cluster(io_, config(1));  // one connection: every query shares one pipeline
  const Statement divide{"cluster_test_divide", "SELECT 100 / $1::int"};
  constexpr int kQueries = 41;
  std::vector<std::int64_t> answers(kQueries, 0);
  std::vector<std::string> sqlstates(kQueries);
  int completed = 0;
  for (int i = 0; i < kQueries; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          try {
            const Result r = co_await cluster_->query(Role::kPrimary, divide, make_params(std::to_string(i - 20)));
            answers[i] = r.int64(0, 0);
          } catch (const Error& e) {
            sqlstates[i] = e.sqlstate().empty() ? "(none)" : e.sqlstate();
            EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
          }
          ++completed;
        },
        asio::detached);
  }
  run_until([&] { return completed == kQueries; }, 20s);

  for (int i = 0; i < kQueries; ++i) {
    if (i == 20) {
      EXPECT_EQ(sqlstates[i], "22012");
    } else {
      EXPECT_EQ(sqlstates[i], "") << "query " << i;
      EXPECT_EQ(answers[i], 100 / (i - 20)) << "query " << i;
    }
  }
}

TEST_F(ClusterTest, StatementThatDoesNotPrepareFailsEveryTimeWithItsOwnError) {
  cluster_ = make_cluster(io_, config(1));
  run([&]() -> asio::awaitable<void> {
    const Statement bad{"cluster_test_bad", "SELEC 1"};
    for (int attempt = 0; attempt < 2; ++attempt) {  // the second attempt prepares again
      std::string sqlstate;
      try {
        co_await cluster_->query(Role::kPrimary, bad, {});
      } catch (const Error& e) {
        sqlstate = e.sqlstate();
      }
      EXPECT_EQ(sqlstate, "42601");  // syntax_error, not 26000 (prepared statement does not exist)
    }
    const Result r = co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"}, {});
    EXPECT_EQ(r.int64(0, 0), 1);
  });
}

TEST_F(ClusterTest, UnreachablePrimaryFailsWithinTheTimeout) {
  DbConfig c = config(2, 2000ms);
  c.primary = kDeadServer;
  cluster_ = make_cluster(io_, c);
  run([&]() -> asio::awaitable<void> {
    for (int attempt = 0; attempt < 2; ++attempt) {  // the second one meets the backoff
      const auto start = Clock::now();
      try {
        co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});
        ADD_FAILURE() << "a query on an unreachable primary succeeded";
      } catch (const Error& e) {
        EXPECT_TRUE(e.connection_failed()) << e.what() << " sqlstate " << e.sqlstate();
      }
      EXPECT_LT(Clock::now() - start, 2500ms);
    }
    EXPECT_FALSE(co_await cluster_->ping_primary(1s));
  });
}

// A port that accepts TCP connections (the kernel completes them into the backlog) and never says a word: what a
// host looks like to libpq when the server has stopped answering. Closed when the object goes away.
class SilentServer {
 public:
  explicit SilentServer(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd_, 16) == 0;
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  ~SilentServer() { ::close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// The primary's value of `key` in the test's conninfo ("host=127.0.0.1 port=N dbname=… user=…").
std::string conninfo_field(const std::string& conninfo, const std::string& key) {
  const auto at = conninfo.find(key + "=");
  if (at == std::string::npos) return "";
  const auto start = at + key.size() + 1;
  return conninfo.substr(start, conninfo.find(' ', start) - start);
}

TEST_F(ClusterTest, AHostThatNeverAnswersGetsItsConnectTimeoutAndTheNextHostIsTried) {
  constexpr std::uint16_t kSilentPort = 25469;
  SilentServer silent(kSilentPort);
  ASSERT_TRUE(silent.ok()) << "port " << kSilentPort << " is taken";
  const std::string host = conninfo_field(primary_, "host");
  const std::string port = conninfo_field(primary_, "port");
  ASSERT_FALSE(host.empty() || port.empty()) << primary_;
  DbConfig c = config(1, 5000ms);
  c.primary = "host=127.0.0.1," + host + " port=" + std::to_string(kSilentPort) + "," + port +
              " dbname=" + conninfo_field(primary_, "dbname") + " user=" + conninfo_field(primary_, "user");
  c.connect_timeout = 300ms;
  cluster_ = make_cluster(io_, c);
  run([&]() -> asio::awaitable<void> {
    const auto start = Clock::now();
    const Result r = co_await cluster_->query(Role::kPrimary, {"cluster_test_port", "SELECT inet_server_port()::text"});
    const auto took = Clock::now() - start;
    EXPECT_EQ(r.text(0, 0), port) << "the second host answered";
    EXPECT_GE(took, 250ms) << "the silent host was given its connect timeout first";
    EXPECT_LT(took, 2s) << "the silent host must not hold the attempt beyond its own timeout";
  });
}

TEST_F(ClusterTest, TheSessionsStatementTimeoutEndsARunawayStatementOnTheServer) {
  DbConfig c = config(1, 5000ms);
  c.statement_timeout = 200ms;
  cluster_ = make_cluster(io_, c);
  run([&]() -> asio::awaitable<void> {
    const Result shown = co_await cluster_->query(Role::kPrimary, {"cluster_test_show", "SHOW statement_timeout"});
    EXPECT_EQ(shown.text(0, 0), "200ms");
    const auto start = Clock::now();
    std::string sqlstate;
    try {
      co_await cluster_->query(Role::kPrimary, {"cluster_test_sleep", "SELECT pg_sleep(3)"});
      ADD_FAILURE() << "the statement outlived statement_timeout";
    } catch (const Error& e) {
      sqlstate = e.sqlstate();
    }
    EXPECT_EQ(sqlstate, "57014") << "query_canceled, by the server";
    EXPECT_LT(Clock::now() - start, 1s);
    const Result after = co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});
    EXPECT_EQ(after.int64(0, 0), 1) << "the connection is still good";
  });
}

TEST_F(ClusterTest, DeadReplicaFallsBackToThePrimary) {
  DbConfig c = config();
  c.replicas = {kDeadServer};
  cluster_ = make_cluster(io_, c);
  const auto replica_before = served(Role::kReplica).value();
  const auto primary_before = served(Role::kPrimary).value();
  run([&]() -> asio::awaitable<void> {
    for (int attempt = 0; attempt < 3; ++attempt) {  // the first one was queued on the dead replica's connection
      const Result r = co_await cluster_->query(Role::kReplica, {"cluster_test_one", "SELECT 1"});
      EXPECT_EQ(r.int64(0, 0), 1);
      EXPECT_EQ(r.served_by(), Role::kPrimary);
    }
    EXPECT_EQ(cluster_->healthy_replicas(), 0U);
  });
  EXPECT_EQ(served(Role::kReplica).value(), replica_before);
  EXPECT_GE(served(Role::kPrimary).value() - primary_before, 3U);
}

TEST_F(ClusterTest, LiveReplicaServesReplicaReads) {
  DbConfig c = config();
  c.replicas = {primary_};  // the same server, reached as a replica
  cluster_ = make_cluster(io_, c);
  const auto replica_before = served(Role::kReplica).value();
  run([&]() -> asio::awaitable<void> {
    const Result r = co_await cluster_->query(Role::kReplica, {"cluster_test_one", "SELECT 1"});
    EXPECT_EQ(r.served_by(), Role::kReplica);
    EXPECT_EQ(cluster_->healthy_replicas(), 1U);
    const Result w = co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});
    EXPECT_EQ(w.served_by(), Role::kPrimary);
    EXPECT_TRUE(co_await cluster_->ping_primary(1s));
  });
  EXPECT_EQ(served(Role::kReplica).value() - replica_before, 1U);
}

TEST_F(ClusterTest, TimeoutFailsTheQueryAndTheNextQueryWorks) {
  cluster_ = make_cluster(io_, config(1, 300ms));
  const Statement sleep{"cluster_test_sleep", "SELECT pg_sleep(2)"};
  const Statement echo{"cluster_test_echo", "SELECT $1::text"};
  std::string slow_error;
  std::string behind_error;
  int completed = 0;
  const auto start = Clock::now();
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        try {
          co_await cluster_->query(Role::kPrimary, sleep);
        } catch (const Error& e) {
          slow_error = e.what();
        }
        ++completed;
      },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        try {  // pipelined behind the slow one on the only connection: must fail too, not hang
          co_await cluster_->query(Role::kPrimary, echo, make_params("behind"));
        } catch (const Error& e) {
          behind_error = e.what();
        }
        ++completed;
      },
      asio::detached);
  run_until([&] { return completed == 2; }, 10s);
  EXPECT_LT(Clock::now() - start, 1500ms);
  EXPECT_NE(slow_error.find("timeout"), std::string::npos) << slow_error;
  EXPECT_FALSE(behind_error.empty());

  run([&]() -> asio::awaitable<void> {
    const Result r = co_await cluster_->query(Role::kPrimary, echo, make_params("after"));
    EXPECT_EQ(r.text(0, 0), "after");
  });
}

TEST_F(ClusterTest, CancelledQueryDoesNotShiftLaterAnswers) {
  using namespace asio::experimental::awaitable_operators;
  cluster_ = make_cluster(io_, config(1));
  run([&]() -> asio::awaitable<void> {
    const Statement echo{"cluster_test_echo", "SELECT $1::text"};
    co_await cluster_->query(Role::kPrimary, echo,
                             make_params("warm"));  // the connection is up: the next one is sent at once
    asio::steady_timer timer(io_, 50ms);
    const auto winner =
        co_await (cluster_->query(Role::kPrimary, {"cluster_test_slow", "SELECT 'slow' FROM pg_sleep(0.5)"}) ||
                  timer.async_wait(asio::use_awaitable));
    EXPECT_EQ(winner.index(), 1U) << "the timer should have won";
    // The abandoned query's answer is still ahead in the pipeline; this one must get its own.
    const Result r = co_await cluster_->query(Role::kPrimary, echo, make_params("fast"));
    EXPECT_EQ(r.text(0, 0), "fast");
  });
}

// Ends the server process behind `pid` (and waits until it is gone) through a cluster of its own.
asio::awaitable<void> terminate_backend(Cluster& other, const std::string& pid) {
  const Result r = co_await other.query(
      Role::kPrimary, {"cluster_test_kill", "SELECT pg_terminate_backend($1::int, 5000)"}, make_params(pid));
  EXPECT_TRUE(r.boolean(0, 0));
}

TEST_F(ClusterTest, BrokenPrimaryConnectionIsReplacedOnNextUse) {
  cluster_ = make_cluster(io_, config(1));
  auto other = make_cluster(io_, config(1));
  run([&]() -> asio::awaitable<void> {
    const Statement pid{"cluster_test_pid", "SELECT pg_backend_pid()"};
    const std::string before((co_await cluster_->query(Role::kPrimary, pid, {})).text(0, 0));
    co_await terminate_backend(*other, before);
    // The first query may still meet the dead connection (then it fails: it might have run); never does it hang.
    try {
      co_await cluster_->query(Role::kPrimary, pid, {});
    } catch (const Error& e) {
      EXPECT_TRUE(e.connection_failed()) << e.what();
    }
    const std::string after((co_await cluster_->query(Role::kPrimary, pid, {})).text(0, 0));
    EXPECT_NE(after, before);
    other->close();
  });
}

TEST_F(ClusterTest, BrokenReplicaFallsBackToThePrimaryAndRecovers) {
  DbConfig c = config(1);
  c.replicas = {primary_};
  cluster_ = make_cluster(io_, c);
  auto other = make_cluster(io_, config(1));
  run([&]() -> asio::awaitable<void> {
    const Statement pid{"cluster_test_pid", "SELECT pg_backend_pid()"};
    const Result first = co_await cluster_->query(Role::kReplica, pid, {});
    EXPECT_EQ(first.served_by(), Role::kReplica);
    // Not terminate_backend(): pg_terminate_backend's wait polls every 100 ms, as long as the replica's first
    // backoff, so the probe could bring the replica back before the read below. Kill, then watch the cluster notice.
    const Statement kill{"cluster_test_kill_now", "SELECT pg_terminate_backend($1::int)"};
    Params victim = make_params(std::string(first.text(0, 0)));
    const Result killed = co_await other->query(Role::kPrimary, kill, std::move(victim));
    EXPECT_TRUE(killed.boolean(0, 0));
    asio::steady_timer poll(io_);
    for (int i = 0; i < 1000 && cluster_->healthy_replicas() != 0; ++i) {
      poll.expires_after(1ms);
      co_await poll.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(cluster_->healthy_replicas(), 0U);
    // A read is side-effect free: whether the dead connection is noticed before or after sending, it is answered.
    const Result during = co_await cluster_->query(Role::kReplica, pid, {});
    EXPECT_EQ(during.served_by(), Role::kPrimary);
    // The background probe brings the replica back after its backoff.
    asio::steady_timer tick(io_);
    for (int i = 0; i < 150 && cluster_->healthy_replicas() == 0; ++i) {
      tick.expires_after(20ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(cluster_->healthy_replicas(), 1U);
    const Result again = co_await cluster_->query(Role::kReplica, pid, {});
    EXPECT_EQ(again.served_by(), Role::kReplica);
    other->close();
  });
}

TEST_F(ClusterTest, QueuedQueryFailsWhenTheClusterIsDestroyed) {
  cluster_ = make_cluster(io_, config(1));
  bool failed = false;
  bool finished = false;
  // co_spawn from outside the io thread posts the coroutine's start; the reset is posted after it, so the query is
  // issued first, while the connection is still being established.
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        try {
          co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});
        } catch (const Error&) {
          failed = true;
        }
        finished = true;
      },
      asio::detached);
  asio::post(io_, [&] { cluster_.reset(); });
  run_until([&] { return finished; }, 5s);
  EXPECT_TRUE(failed);
}

TEST_F(ClusterTest, InFlightQueryFailsWhenTheClusterIsDestroyed) {
  cluster_ = make_cluster(io_, config(1));
  bool issued = false;
  bool failed = false;
  bool finished = false;
  run([&]() -> asio::awaitable<void> {
    co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});  // connected
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          try {
            issued = true;  // the query below is sent before this coroutine first suspends
            co_await cluster_->query(Role::kPrimary, {"cluster_test_sleep", "SELECT pg_sleep(2)"});
          } catch (const Error&) {
            failed = true;
          }
          finished = true;
        },
        asio::detached);
    EXPECT_TRUE(co_await yield_until([&] { return issued; }));
    co_await asio::post(asio::use_awaitable);  // let it reach the server
    const auto start = Clock::now();
    cluster_.reset();
    EXPECT_TRUE(co_await yield_until([&] { return finished; }));
    EXPECT_LT(Clock::now() - start, 1s);
  });
  EXPECT_TRUE(failed);
}

TEST_F(ClusterTest, ClosedClusterFailsQueriesAtOnce) {
  cluster_ = make_cluster(io_, config());
  run([&]() -> asio::awaitable<void> {
    co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});
    cluster_->close();
    bool failed = false;
    try {
      co_await cluster_->query(Role::kPrimary, {"cluster_test_one", "SELECT 1"});
    } catch (const Error& e) {
      failed = e.connection_failed();
    }
    EXPECT_TRUE(failed);
    EXPECT_FALSE(co_await cluster_->ping_primary(1s));
  });
}

}  // namespace
}  // namespace mc::db
