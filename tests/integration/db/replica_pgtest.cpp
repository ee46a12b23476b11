// mc::db::Cluster against a live PostgreSQL primary and a real streaming replica (MYCLOTHES_DB_PRIMARY and
// MYCLOTHES_DB_REPLICAS, set by script/test): replica reads, replica lag, read-your-writes.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"
#include "db/database.hpp"
#include "integration/db/scratch_database.hpp"

namespace mc::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kDeadServer = "host=127.0.0.1 port=1 dbname=myclothes user=myclothes";
constexpr std::chrono::milliseconds kCheckInterval{50};
// The lag limit of the test that pauses replay. Other tests run with a limit far above any real lag: while
// other test processes write to the same primary, the replica can fall a few hundred milliseconds behind,
// and those tests are not about lag.
constexpr std::chrono::milliseconds kMaxLag{2000};
constexpr std::chrono::milliseconds kLagNotTested{60000};

constexpr Statement kInRecovery{"replica_test_in_recovery", "SELECT pg_is_in_recovery()"};
constexpr Statement kCreate{"replica_test_create", "CREATE TABLE replica_test (id bigint PRIMARY KEY, note text)"};
constexpr Statement kInsert{"replica_test_insert", "INSERT INTO replica_test (id, note) VALUES ($1::int8, $2)"};
constexpr Statement kSelect{"replica_test_select", "SELECT note FROM replica_test WHERE id = $1::int8"};

// The first entry of a comma-separated list.
std::string first_of(const std::string& list) { return list.substr(0, list.find(',')); }

// The value of `key` in a key=value conninfo, unquoted ("" when absent); enough for the strings script/test exports
// and conninfo_with_database's.
std::string conninfo_value(const std::string& conninfo, const std::string& key) {
  const std::string needle = key + "=";
  std::size_t at = 0;
  while ((at = conninfo.find(needle, at)) != std::string::npos) {
    if (at == 0 || conninfo[at - 1] == ' ') {
      const std::size_t start = at + needle.size();
      std::string value = conninfo.substr(start, conninfo.find(' ', start) - start);
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
      return value;
    }
    at += needle.size();
  }
  return "";
}

std::string replica_label(const std::string& conninfo) {
  return conninfo_value(conninfo, "host") + ":" + conninfo_value(conninfo, "port");
}

metrics::Gauge& lag_gauge(const std::string& replica_conninfo) {
  return metrics::registry().gauge("myclothes_db_replica_lag_bytes", {{"replica", replica_label(replica_conninfo)}});
}

metrics::Gauge& in_rotation_gauge() { return metrics::registry().gauge("myclothes_db_replicas_in_rotation"); }

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* primary = std::getenv("MYCLOTHES_DB_PRIMARY");
    const char* replicas = std::getenv("MYCLOTHES_DB_REPLICAS");
    ASSERT_TRUE(primary != nullptr && *primary != '\0')
        << "MYCLOTHES_DB_PRIMARY is not set: run this test through script/test, which starts PostgreSQL and "
           "exports the connection settings";
    ASSERT_TRUE(replicas != nullptr && *replicas != '\0')
        << "MYCLOTHES_DB_REPLICAS is not set: these tests need a streaming replica of MYCLOTHES_DB_PRIMARY. Run "
           "them through script/test, or start the services with one (deploy/local/services start --replicas 1) "
           "and export what `deploy/local/services env --replicas 1` prints";
    replica_admin_ = first_of(replicas);

    // The replica is a physical copy of the whole primary cluster: the scratch database appears there once the
    // replica has replayed its creation.
    scratch_ = std::make_unique<testing::ScratchDatabase>(primary, "replica");
    replica_ = db::conninfo_with_database(replica_admin_, scratch_->name());
    const auto deadline = Clock::now() + 20s;
    std::string last_error;
    while (Clock::now() < deadline) {
      auto conn = BlockingConnection::open(replica_);
      if (conn) return;
      last_error = conn.error();
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "the scratch database " << scratch_->name()
           << " did not appear on the replica within 20 s: " << last_error;
  }

  void TearDown() override {
    // Always: a replica left paused would stall every later test (and this test's DROP DATABASE).
    if (paused_) resume_replay();
    cluster_.reset();
    // Destroying the cluster must leave nothing behind on the io_context (no waits, timers or coroutines).
    io_.restart();
    const auto start = Clock::now();
    io_.run_for(3s);
    EXPECT_LT(Clock::now() - start, 2s) << "work was still pending after the cluster was destroyed";
    scratch_.reset();
  }

  DbConfig config() const {
    DbConfig c;
    c.primary = scratch_->conninfo();
    c.replicas = {replica_};
    c.pool_size = 2;
    c.query_timeout = 5000ms;
    c.replica_check_interval = kCheckInterval;
    c.max_replica_lag = kLagNotTested;
    return c;
  }

  void pause_replay() {
    auto conn = testing::connect_or_throw(replica_admin_);
    paused_ = true;
    conn.exec("SELECT pg_wal_replay_pause()");
    for (int i = 0; i < 500; ++i) {
      if (conn.exec("SELECT pg_get_wal_replay_pause_state()").text(0, 0) == "paused") return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "replay did not pause";
  }

  void resume_replay() {
    try {
      testing::connect_or_throw(replica_admin_).exec("SELECT pg_wal_replay_resume()");
      paused_ = false;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not resume replay on the replica (later tests will see it stuck): " << e.what();
    }
  }

  // Runs one test coroutine to completion (at most `limit`) and rethrows what it threw.
  template <class F>
  void run(F body, std::chrono::seconds limit = 30s) {
    bool finished = false;
    std::exception_ptr error;
    asio::co_spawn(io_, std::move(body), [&](std::exception_ptr e) {
      error = e;
      finished = true;
    });
    const auto deadline = Clock::now() + limit;
    while (!finished && Clock::now() < deadline) {
      if (io_.stopped()) io_.restart();
      io_.run_one_for(100ms);
    }
    ASSERT_TRUE(finished) << "not finished within " << limit.count() << " s";
    if (error) std::rethrow_exception(error);
  }

  // Waits (letting the cluster work) until `ready()` holds, at most `limit`; says whether it held.
  // Takes `ready` by reference: name it first (GCC 12 and temporaries in co_await expressions, see make_params).
  asio::awaitable<bool> wait_until(const std::function<bool()>& ready, std::chrono::milliseconds limit) {
    asio::steady_timer tick(io_);
    const auto deadline = Clock::now() + limit;
    while (!ready() && Clock::now() < deadline) {
      tick.expires_after(10ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    co_return ready();
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds duration) {
    asio::steady_timer timer(io_, duration);
    co_await timer.async_wait(asio::use_awaitable);
  }

  asio::awaitable<Result> replica_read(const Statement& stmt, Params params) {
    co_return co_await cluster_->query(Role::kReplica, stmt, std::move(params));
  }

  // Creates the test table and inserts row `id` on the primary; returns the primary's position after the write.
  asio::awaitable<Lsn> write_row(std::int64_t id, const std::string& note, bool create) {
    if (create) {
      Params none;
      co_await cluster_->query(Role::kPrimary, kCreate, std::move(none));
    }
    Params row = make_params(std::to_string(id), note);
    const Result inserted = co_await cluster_->query(Role::kPrimary, kInsert, std::move(row));
    EXPECT_EQ(inserted.affected_rows(), 1);
    const Lsn lsn = co_await cluster_->primary_lsn();
    EXPECT_NE(lsn, 0U);
    co_return lsn;
  }

  asio::awaitable<Result> read_after(std::int64_t id, Lsn lsn) {
    Params key = make_params(std::to_string(id));
    co_return co_await cluster_->query_after(kSelect, std::move(key), lsn);
  }

  asio::io_context io_;
  std::string replica_admin_;  // the replica, its own default database
  std::string replica_;        // the replica, the scratch database
  std::unique_ptr<testing::ScratchDatabase> scratch_;
  std::unique_ptr<Cluster> cluster_;
  bool paused_ = false;
};

TEST_F(ReplicaTest, ReplicaReadsRunOnTheStandbyAndAnIdleReplicaHasNoLag) {
  cluster_ = make_cluster(io_, config());
  run([&]() -> asio::awaitable<void> {
    Params none;
    const Result r = co_await replica_read(kInRecovery, std::move(none));
    EXPECT_EQ(r.served_by(), Role::kReplica);
    EXPECT_TRUE(r.boolean(0, 0)) << "a replica read did not run on the standby";
    Params none_again;
    const Result after = co_await cluster_->query_after(kInRecovery, std::move(none_again), 0);
    EXPECT_EQ(after.served_by(), Role::kReplica);
    EXPECT_TRUE(after.boolean(0, 0));

    co_await sleep(10 * kCheckInterval);  // several checks
    EXPECT_EQ(cluster_->healthy_replicas(), 1U);
    EXPECT_EQ(in_rotation_gauge().value(), 1.0);
    // Other test processes may be writing to the same primary, so "level" is awaited, not sampled once.
    const std::function<bool()> level = [&] { return lag_gauge(replica_).value() <= 64.0 * 1024; };
    const bool caught_up = co_await wait_until(level, 15000ms);
    EXPECT_TRUE(caught_up) << "the replica's lag never came down to 64 KiB: " << lag_gauge(replica_).value();
    const std::string series = "myclothes_db_replica_lag_bytes{replica=\"" + replica_label(replica_) + "\"}";
    EXPECT_NE(metrics::registry().render().find(series), std::string::npos) << series;
  });
}

TEST_F(ReplicaTest, ReadYourWritesSeesTheWriteAndUsesTheReplicaOnceItHasReplayed) {
  cluster_ = make_cluster(io_, config());
  run([&]() -> asio::awaitable<void> {
    const Lsn lsn = co_await write_row(1, "항공 점퍼", true);
    // At once: whoever answers has the row (the replica only if its last check saw it past the write).
    const Result now = co_await read_after(1, lsn);
    EXPECT_EQ(now.rows(), 1) << "served by " << to_string(now.served_by());
    if (now.rows() == 1) {
      EXPECT_EQ(now.text(0, 0), "항공 점퍼");
    }
    // Within a few checks the replica has replayed the write and is known to have: it takes the read.
    Role served_by = Role::kPrimary;
    for (int i = 0; i < 100 && served_by == Role::kPrimary; ++i) {
      const Result r = co_await read_after(1, lsn);
      EXPECT_EQ(r.rows(), 1) << "served by " << to_string(r.served_by());
      served_by = r.served_by();
      if (served_by == Role::kPrimary) co_await sleep(kCheckInterval / 2);
    }
    EXPECT_EQ(served_by, Role::kReplica) << "the replica never took a read-your-writes read";
    // A position far ahead of anything written goes to the primary.
    const Result ahead = co_await read_after(1, lsn + (Lsn{1} << 40));
    EXPECT_EQ(ahead.served_by(), Role::kPrimary);
    EXPECT_EQ(ahead.rows(), 1);
  });
}

TEST_F(ReplicaTest, PausedReplicaLeavesTheRotationAndComesBackWhenItCatchesUp) {
  DbConfig c = config();
  c.max_replica_lag = kMaxLag;
  cluster_ = make_cluster(io_, c);
  Lsn lsn = 0;
  run([&]() -> asio::awaitable<void> {
    lsn = co_await write_row(1, "before the pause", true);
    // Settled: the replica is in rotation and known to have replayed the write.
    Role served_by = Role::kPrimary;
    for (int i = 0; i < 100 && served_by == Role::kPrimary; ++i) {
      const Result r = co_await read_after(1, lsn);
      EXPECT_EQ(r.rows(), 1);
      served_by = r.served_by();
      if (served_by == Role::kPrimary) co_await sleep(kCheckInterval / 2);
    }
    EXPECT_EQ(served_by, Role::kReplica) << "the replica did not settle";
    EXPECT_EQ(cluster_->healthy_replicas(), 1U);
  });

  pause_replay();
  Clock::time_point written{};
  run([&]() -> asio::awaitable<void> {
    lsn = co_await write_row(2, "during the pause", false);
    written = Clock::now();

    // Read-your-writes: the paused replica has not replayed the write, so the primary answers, with the row.
    const Result mine = co_await read_after(2, lsn);
    EXPECT_EQ(mine.served_by(), Role::kPrimary);
    EXPECT_EQ(mine.rows(), 1);

    // Plain replica reads leave the paused replica within about max_replica_lag (plus a check or two).
    Role served_by = Role::kReplica;
    while (served_by == Role::kReplica && Clock::now() - written < 5s) {
      Params none;
      const Result r = co_await replica_read(kInRecovery, std::move(none));
      served_by = r.served_by();
      if (served_by == Role::kReplica) co_await sleep(10ms);
    }
    const auto taken_out_after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - written);
    EXPECT_EQ(served_by, Role::kPrimary) << "the paused replica was never taken out of the round robin";
    EXPECT_LT(taken_out_after, kMaxLag + 1000ms) << "took " << taken_out_after.count() << " ms";
    EXPECT_GE(taken_out_after, kMaxLag - 50ms) << "a replica only a few bytes behind was taken out too early";
    EXPECT_EQ(cluster_->healthy_replicas(), 0U);
    EXPECT_EQ(in_rotation_gauge().value(), 0.0);
    EXPECT_GT(lag_gauge(replica_).value(), 0.0);

    // It stays out while paused, and every read still works.
    for (int i = 0; i < 5; ++i) {
      co_await sleep(kCheckInterval);
      Params none;
      const Result r = co_await replica_read(kInRecovery, std::move(none));
      EXPECT_EQ(r.served_by(), Role::kPrimary);
      const Result again = co_await read_after(2, lsn);
      EXPECT_EQ(again.served_by(), Role::kPrimary);
      EXPECT_EQ(again.rows(), 1);
    }
  });

  resume_replay();
  run([&]() -> asio::awaitable<void> {
    const std::function<bool()> back = [&] { return cluster_->healthy_replicas() == 1; };
    const bool came_back = co_await wait_until(back, 5000ms);
    EXPECT_TRUE(came_back) << "the replica did not come back after replay resumed";
    EXPECT_EQ(in_rotation_gauge().value(), 1.0);
    Params none;
    const Result r = co_await replica_read(kInRecovery, std::move(none));
    EXPECT_EQ(r.served_by(), Role::kReplica);
    EXPECT_TRUE(r.boolean(0, 0));
    const Result mine = co_await read_after(2, lsn);
    EXPECT_EQ(mine.served_by(), Role::kReplica);  // back in rotation means checked past the write
    EXPECT_EQ(mine.rows(), 1);
  });
}

TEST_F(ReplicaTest, DeadReplicaTakesNoQueryDown) {
  DbConfig c = config();
  c.replicas = {kDeadServer, replica_};
  cluster_ = make_cluster(io_, c);
  run([&]() -> asio::awaitable<void> {
    const Lsn lsn = co_await write_row(1, "with a dead replica", true);
    int on_replica = 0;
    for (int i = 0; i < 40; ++i) {
      Params none;
      const Result r = co_await replica_read(kInRecovery, std::move(none));
      if (r.served_by() == Role::kReplica) {
        ++on_replica;
        EXPECT_TRUE(r.boolean(0, 0));
      }
      const Result mine = co_await read_after(1, lsn);
      EXPECT_EQ(mine.rows(), 1);
      co_await sleep(10ms);
    }
    EXPECT_GT(on_replica, 0) << "the live replica took no reads";
    EXPECT_EQ(cluster_->healthy_replicas(), 1U);
    EXPECT_EQ(in_rotation_gauge().value(), 1.0);
  });
}

TEST_F(ReplicaTest, CloseStopsTheReplicaCheck) {
  cluster_ = make_cluster(io_, config());
  run([&]() -> asio::awaitable<void> {
    co_await sleep(5 * kCheckInterval);
    cluster_->close();
  });
  // The cluster still exists, closed: nothing of it may keep the io_context running.
  io_.restart();
  const auto start = Clock::now();
  io_.run_for(3s);
  EXPECT_LT(Clock::now() - start, 1s) << "the closed cluster still had work on the io_context";
}

}  // namespace
}  // namespace mc::db
