// mc::db::Cluster through a real PostgreSQL failover: a primary and its streaming replica of its own (started
// here with deploy/local/services on ports 25461 and 25462, not the shared test services), the primary killed,
// the replica promoted, and the same Cluster writing to the new primary by itself.
//
// Each test is its own process (gtest_discover_tests) and starts its own pair; the pair is stopped and its
// directory removed by a watchdog process that outlives this one, so that happens however the test ends (a
// failed assertion, a crash, a ctest timeout).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "db/blocking.hpp"
#include "db/database.hpp"

namespace mc::db {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kPrimaryPort = 25461;
constexpr int kReplicaPort = 25462;  // services: replica n listens on pg-port + n
constexpr int kRedisPort = 27121;    // the script starts one; nothing here uses it
constexpr std::chrono::milliseconds kConnectTimeout{1000};
constexpr std::chrono::milliseconds kStatementTimeout{2000};
constexpr std::chrono::milliseconds kQueryTimeout{3000};
// No query may wait longer than this, whatever the servers do (the client's own deadline, plus scheduling).
constexpr std::chrono::milliseconds kLongestWait = kConnectTimeout + kStatementTimeout + 500ms;

constexpr Statement kCreate{"failover_create", "CREATE TABLE IF NOT EXISTS failover_test (id serial, port int)"};
constexpr Statement kWrite{"failover_write",
                           "INSERT INTO failover_test (port) VALUES (inet_server_port()) RETURNING port::text"};
constexpr Statement kWhere{"failover_where", "SELECT inet_server_port()::text, pg_is_in_recovery()"};

std::string conninfo(const std::string& ports, const std::string& extra = "") {
  const std::string hosts = ports.find(',') == std::string::npos ? "127.0.0.1" : "127.0.0.1,127.0.0.1";
  return "host=" + hosts + " port=" + ports + " dbname=myclothes user=myclothes" + (extra.empty() ? "" : " " + extra);
}

// Shell quoting for the paths and words handed to sh -c.
std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

fs::path build_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

// A primary and its replica, started for one test and gone after it.
class FailoverPair {
 public:
  FailoverPair() {
    // Two of these at once (ctest -j) would want the same ports: one at a time, machine-wide through the build tree.
    lock_fd_ = ::open((build_dir() / "failover-pgtest.lock").c_str(), O_CREAT | O_RDWR, 0644);
    if (lock_fd_ >= 0) ::flock(lock_fd_, LOCK_EX);
    state_ = build_dir() / ("failover-pgtest-" + std::to_string(::getpid()));
    fs::remove_all(state_);
    fs::create_directories(state_);
    script_ = fs::path(MYCLOTHES_SOURCE_DIR) / "deploy/local/services";
    flags_ = " --state " + quoted(state_.string()) + " --pg-port " + std::to_string(kPrimaryPort) + " --redis-port " +
             std::to_string(kRedisPort) + " --replicas 1";
    start_watchdog();
    // The watchdog keeps the lock until it has cleaned up; the servers we start must not hold it too.
    if (lock_fd_ >= 0) ::fcntl(lock_fd_, F_SETFD, FD_CLOEXEC);
    started_ = shell(quoted(script_.string()) + " start" + flags_) == 0;
    if (!started_) return;
    std::istringstream layout(output_of(quoted(script_.string()) + " layout" + flags_));
    std::string role, name, port, dir;
    while (layout >> role >> name >> port >> dir) {
      if (name == "primary") primary_dir_ = dir;
      if (name == "replica-1") replica_dir_ = dir;
    }
  }
  FailoverPair(const FailoverPair&) = delete;
  FailoverPair& operator=(const FailoverPair&) = delete;

  ~FailoverPair() {
    // The watchdog reads its stdin until it ends: closing our end tells it to stop everything, as dying would.
    if (watchdog_in_ >= 0) ::close(watchdog_in_);
    if (watchdog_ > 0) ::waitpid(watchdog_, nullptr, 0);
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  bool started() const { return started_ && !primary_dir_.empty() && !replica_dir_.empty(); }
  const fs::path& state() const { return state_; }

  // pg_ctl as the servers' owner (the unprivileged user when we are root: the script's as_pg).
  int pg_ctl(const std::string& args) const {
    const std::string pg_ctl = "/usr/lib/postgresql/15/bin/pg_ctl " + args;
    return shell(::getuid() == 0 ? "runuser -u myclothes -- " + pg_ctl : pg_ctl);
  }
  int kill_primary() const { return pg_ctl("stop -m immediate -D " + quoted(primary_dir_)); }
  // -W: do not wait; the test measures from here until a write succeeds.
  int promote_replica() const { return pg_ctl("promote -W -D " + quoted(replica_dir_)); }

 private:
  int shell(const std::string& command) const {
    return std::system((command + " >>" + quoted((state_ / "commands.log").string()) + " 2>&1").c_str());
  }
  static std::string output_of(const std::string& command) {
    std::string out;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[512];
      while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
      ::pclose(pipe);
    }
    return out;
  }

  // A shell in its own session, waiting for its stdin to end: when this process closes it or dies, the shell
  // stops the pair and removes its directory.
  void start_watchdog() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    const std::string cleanup = "cat >/dev/null; " + quoted(script_.string()) + " stop" + flags_ +
                                " >/dev/null 2>&1; rm -rf " + quoted(state_.string());
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();  // not in the test's process group: a ctest timeout that kills the group spares it
      ::dup2(fds[0], 0);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execl("/bin/sh", "sh", "-c", cleanup.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[0]);
    if (pid < 0) {
      ::close(fds[1]);
      return;
    }
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);  // the commands we run must not keep it open
    watchdog_ = pid;
    watchdog_in_ = fds[1];
  }

  fs::path state_;
  fs::path script_;
  std::string flags_;
  std::string primary_dir_;
  std::string replica_dir_;
  int lock_fd_ = -1;
  pid_t watchdog_ = -1;
  int watchdog_in_ = -1;
  bool started_ = false;
};

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pair_ = std::make_unique<FailoverPair>();
    ASSERT_TRUE(pair_->started()) << "deploy/local/services did not start the pair; see "
                                  << (pair_->state() / "commands.log");
  }

  void TearDown() override {
    cluster_.reset();
    io_.restart();
    io_.run_for(1s);
    pair_.reset();
  }

  DbConfig config(const std::string& primary) const {
    DbConfig c;
    c.primary = primary;
    c.pool_size = 2;
    c.query_timeout = kQueryTimeout;
    c.connect_timeout = kConnectTimeout;
    c.statement_timeout = kStatementTimeout;
    c.replica_check_interval = 100ms;
    return c;
  }

  // Runs one test coroutine to completion and rethrows what it threw.
  template <class F>
  void run(F body, std::chrono::seconds limit = 60s) {
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

  asio::awaitable<void> sleep(std::chrono::milliseconds duration) {
    asio::steady_timer timer(io_, duration);
    co_await timer.async_wait(asio::use_awaitable);
  }

  // Runs `command` on another thread, so the loop (and the cluster on it) keeps working meanwhile.
  asio::awaitable<int> off_loop(std::function<int()> command) {
    auto done = std::async(std::launch::async, std::move(command));
    while (done.wait_for(0s) != std::future_status::ready) co_await sleep(10ms);
    co_return done.get();
  }

  // Waits until the replica has the test table (it came by streaming replication).
  static bool replica_has_table() {
    for (int i = 0; i < 200; ++i) {
      auto conn = BlockingConnection::open(conninfo(std::to_string(kReplicaPort)));
      if (conn && conn->exec("SELECT to_regclass('failover_test') IS NOT NULL").boolean(0, 0)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  asio::io_context io_;
  std::unique_ptr<FailoverPair> pair_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(FailoverTest, WritesFollowANewPrimaryByThemselvesAndNothingHangsMeanwhile) {
  // The standby first: target_session_attrs=read-write must skip it while it is one.
  DbConfig c = config(
      conninfo(std::to_string(kReplicaPort) + "," + std::to_string(kPrimaryPort), "target_session_attrs=read-write"));
  c.replicas = {conninfo(std::to_string(kReplicaPort))};
  cluster_ = make_cluster(io_, c);
  run([&]() -> asio::awaitable<void> {
    Params none;
    co_await cluster_->query(Role::kPrimary, kCreate, std::move(none));
    Params none2;
    const Result first = co_await cluster_->query(Role::kPrimary, kWrite, std::move(none2));
    EXPECT_EQ(first.text(0, 0), std::to_string(kPrimaryPort)) << "the writable host, not the first one listed";
    EXPECT_TRUE(replica_has_table());

    // The primary dies (as after kill -9: no shutdown, no goodbye to the clients).
    EXPECT_EQ(co_await off_loop([&] { return pair_->kill_primary(); }), 0);
    const auto killed = Clock::now();

    // No primary: writes fail, each within the timeouts; browsing goes on from the replica.
    int failed = 0;
    int replica_reads = 0;
    std::chrono::milliseconds longest{0};
    while (Clock::now() - killed < 1500ms) {
      const auto start = Clock::now();
      try {
        Params none3;
        co_await cluster_->query(Role::kPrimary, kWrite, std::move(none3));
        ADD_FAILURE() << "a write succeeded with no primary";
      } catch (const Error&) {
        ++failed;
      }
      longest = std::max(longest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
      Params none4;
      const Result where = co_await cluster_->query(Role::kReplica, kWhere, std::move(none4));
      if (where.served_by() == Role::kReplica && where.text(0, 0) == std::to_string(kReplicaPort)) ++replica_reads;
      co_await sleep(50ms);
    }
    EXPECT_GT(failed, 0);
    EXPECT_GT(replica_reads, 0) << "reads must go on from the replica while there is no primary";
    EXPECT_LT(longest, kLongestWait) << "a write waited longer than connect + statement timeout";
    EXPECT_EQ(cluster_->healthy_replicas(), 1U);

    // The replica becomes the primary. The test only keeps writing, as the store's requests would.
    EXPECT_EQ(co_await off_loop([&] { return pair_->promote_replica(); }), 0);
    const auto promoted = Clock::now();
    std::string port;
    longest = 0ms;
    while (port.empty() && Clock::now() - promoted < 10s) {
      const auto start = Clock::now();
      try {
        Params none5;
        const Result written = co_await cluster_->query(Role::kPrimary, kWrite, std::move(none5));
        port = std::string(written.text(0, 0));
      } catch (const Error&) {
        // still no primary; try again shortly (no co_await inside a handler)
      }
      longest = std::max(longest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
      if (port.empty()) co_await sleep(50ms);
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - promoted);
    std::printf("failover: promote -> first successful write: %lld ms\n", static_cast<long long>(took.count()));
    EXPECT_EQ(port, std::to_string(kReplicaPort)) << "the write must land on the new primary";
    EXPECT_LT(took, 5s);
    EXPECT_LT(longest, kLongestWait);
    // And stays there.
    Params none6;
    const Result again = co_await cluster_->query(Role::kPrimary, kWrite, std::move(none6));
    EXPECT_EQ(again.text(0, 0), std::to_string(kReplicaPort));
  });
}

TEST_F(FailoverTest, AServerInRecoveryIsNotTakenForThePrimary) {
  run([&]() -> asio::awaitable<void> {
    // Named as the primary, without target_session_attrs: the cluster refuses the standby by itself.
    cluster_ = make_cluster(io_, config(conninfo(std::to_string(kReplicaPort))));
    std::string error;
    try {
      Params none;
      co_await cluster_->query(Role::kPrimary, kWhere, std::move(none));
      ADD_FAILURE() << "a standby answered as the primary";
    } catch (const Error& e) {
      error = e.what();
      EXPECT_TRUE(e.connection_failed());
    }
    EXPECT_NE(error.find("recovery"), std::string::npos) << error;
    EXPECT_FALSE(co_await cluster_->ping_primary(1s));

    // With both hosts listed, the standby first, the primary is found behind it.
    cluster_ = make_cluster(io_, config(conninfo(std::to_string(kReplicaPort) + "," + std::to_string(kPrimaryPort))));
    Params none2;
    const Result where = co_await cluster_->query(Role::kPrimary, kWhere, std::move(none2));
    EXPECT_EQ(where.text(0, 0), std::to_string(kPrimaryPort));
    EXPECT_FALSE(where.boolean(0, 1));
  });
}

TEST_F(FailoverTest, APrimaryThatTurnsReadOnlyIsLeftAndFoundAgainWhenItTakesWritesAgain) {
  cluster_ = make_cluster(io_, config(conninfo(std::to_string(kReplicaPort) + "," + std::to_string(kPrimaryPort),
                                               "target_session_attrs=read-write")));
  const auto set_read_only = [](bool on) {
    auto admin = BlockingConnection::open(conninfo(std::to_string(kPrimaryPort)));
    if (!admin) return false;
    admin->exec(on ? "ALTER SYSTEM SET default_transaction_read_only = on"
                   : "ALTER SYSTEM RESET default_transaction_read_only");
    admin->exec("SELECT pg_reload_conf()");
    return true;
  };
  run([&]() -> asio::awaitable<void> {
    Params none;
    co_await cluster_->query(Role::kPrimary, kCreate, std::move(none));
    EXPECT_TRUE(set_read_only(true));
    co_await sleep(500ms);  // the sessions take the reloaded setting before their next statement

    std::string first;
    try {
      Params none2;
      co_await cluster_->query(Role::kPrimary, kWrite, std::move(none2));
      ADD_FAILURE() << "a read-only primary took a write";
    } catch (const Error& e) {
      first = e.sqlstate();
    }
    EXPECT_EQ(first, "25006");
    // The connection that said so is gone: the next write connects anew, and no host is writable now.
    bool refused_at_connect = false;
    try {
      Params none3;
      co_await cluster_->query(Role::kPrimary, kWrite, std::move(none3));
      ADD_FAILURE() << "a read-only primary took a write";
    } catch (const Error& e) {
      refused_at_connect = e.connection_failed();
    }
    EXPECT_TRUE(refused_at_connect) << "the read-only connection was kept";

    EXPECT_TRUE(set_read_only(false));
    const auto writable = Clock::now();
    std::string port;
    while (port.empty() && Clock::now() - writable < 5s) {
      try {
        Params none4;
        const Result written = co_await cluster_->query(Role::kPrimary, kWrite, std::move(none4));
        port = std::string(written.text(0, 0));
      } catch (const Error&) {
        // not yet
      }
      if (port.empty()) co_await sleep(50ms);
    }
    EXPECT_EQ(port, std::to_string(kPrimaryPort));
    EXPECT_LT(Clock::now() - writable, 2s);
  });
}

}  // namespace
}  // namespace mc::db
