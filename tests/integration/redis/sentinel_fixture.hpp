#pragma once

// A replicated Redis of the test's own, for what a single server cannot show (failover, WAIT): a primary on
// 127.0.0.1:27101, its replica (`replicaof`) on 27102 and three redis-sentinel processes on 27105–27107
// (`sentinel monitor myclothes 127.0.0.1 27101 2`, down-after 1000 ms, failover-timeout 5000 ms), started
// from /usr/bin for each test and stopped at its end whatever happens: the fixture's destructor stops every
// child it started, and each child also dies with the test process (PR_SET_PDEATHSIG), so a crash or a
// ctest timeout leaves nothing running. Their files (each sentinel's writable config, the logs) are in a
// directory under the build tree, removed after a test that passed and kept (and named) after one that
// failed. Tests that use these ports take a lock on them first, so ctest -j runs them one at a time.
//
// Loopback ports 27101–27109 only: 27101–27103 servers, 27105–27107 sentinels, 27108–27109 for a test's
// own stand-ins (a sentinel that lies).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/io_loop_test.hpp"
#include "redis/blocking.hpp"
#include "redis/client.hpp"

namespace mc::redis::testing {

using namespace std::chrono_literals;

inline constexpr std::uint16_t kPrimaryPort = 27101;
inline constexpr std::uint16_t kReplicaPort = 27102;
inline constexpr std::array<std::uint16_t, 3> kSentinelPorts{27105, 27106, 27107};
inline constexpr std::uint16_t kSpareSentinelPort = 27108;  // a test's own stand-in
inline constexpr std::uint16_t kNobodyPort = 27109;         // nothing listens here
inline constexpr std::string_view kMasterName = "myclothes";

// A blocking connection for the fixture's own checks (never used by the code under test): the region's
// one-shot command (redis/blocking.hpp), one connection per command.
class SyncRedis {
 public:
  explicit SyncRedis(std::uint16_t port, std::chrono::milliseconds timeout = 500ms) : port_(port), timeout_(timeout) {}

  // Whether something answers PING on the port.
  bool ok() const { return command({"PING"}).has_value(); }

  // The reply in the client's own form; nullopt when the server did not answer.
  std::optional<Reply> command(const std::vector<std::string>& args) const {
    auto r = blocking_command("127.0.0.1", port_, args, timeout_);
    if (!r) return std::nullopt;
    return std::move(*r);
  }

  // "field:value" of an INFO section.
  std::string info_field(const std::string& section, const std::string& field) {
    auto r = command({"INFO", section});
    if (!r || r->type != Reply::Type::kString) return {};
    const std::string key = field + ":";
    const auto at = r->str.find(key);
    if (at == std::string::npos) return {};
    const auto end = r->str.find('\r', at);
    return r->str.substr(at + key.size(), end - at - key.size());
  }

 private:
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
};

class SentinelTest : public mc::testing::IoLoopTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/redis-server") && std::filesystem::exists("/usr/bin/redis-sentinel"))
        << "these tests run /usr/bin/redis-server and /usr/bin/redis-sentinel (Debian packages redis-server, "
           "redis-sentinel)";
    ASSERT_TRUE(lock_ports()) << "another test held ports 27101-27109 for two minutes";
    for (const std::uint16_t port : {kPrimaryPort, kReplicaPort, kSentinelPorts[0], kSentinelPorts[1],
                                     kSentinelPorts[2], kSpareSentinelPort, kNobodyPort}) {
      ASSERT_FALSE(SyncRedis(port, 100ms).ok())
          << "something already listens on 127.0.0.1:" << port << " (a stray from an earlier run? pgrep -af 2710)";
    }
    const auto exe = std::filesystem::read_symlink("/proc/self/exe");
    dir_ = exe.parent_path() / "redis-ha" /
           (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);

    start_server("primary", kPrimaryPort, {});
    start_server("replica", kReplicaPort, {"--replicaof", "127.0.0.1", std::to_string(kPrimaryPort)});
    ASSERT_TRUE(wait_until([] { return SyncRedis(kPrimaryPort).command({"PING"}).has_value(); }, 5s))
        << "the primary did not start; see " << dir_;
    ASSERT_TRUE(
        wait_until([] { return SyncRedis(kReplicaPort).info_field("replication", "master_link_status") == "up"; }, 10s))
        << "the replica did not sync; see " << dir_;
    // Only now: a sentinel learns of replicas from the primary's INFO, which it asks at once and then every
    // 10 s, so a sentinel started before the replica was attached would not know it for 10 s.
    for (std::size_t i = 0; i < kSentinelPorts.size(); ++i) start_sentinel(i);
    // Failover needs each sentinel to know the replica and the other two (hello messages every 2 s).
    ASSERT_TRUE(wait_until([] { return sentinels_ready(); }, 20s)) << "the sentinels did not meet; see " << dir_;
    config_.command_timeout = 500ms;
    config_.wait_timeout = 300ms;
    for (const auto port : kSentinelPorts) config_.sentinels.push_back(Endpoint{"127.0.0.1", port});
    config_.master_name = std::string(kMasterName);
  }

  void TearDown() override {
    for (auto& c : clients_) c->stop();
    clients_.clear();
    drain();
    stop_all();
    if (!HasFailure()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    } else {
      std::cerr << "the servers' files and logs are in " << dir_ << "\n";
    }
    unlock_ports();
  }

  ~SentinelTest() override {
    stop_all();  // SetUp may have failed half-way: TearDown still runs, but this must hold whatever happens
    unlock_ports();
  }

  std::shared_ptr<Client> client(const RedisConfig& config) {
    auto c = make_client(io_, config);
    c->start();
    clients_.push_back(c);
    return c;
  }
  std::shared_ptr<Client> client() { return client(config_); }

  Expected<Reply, CommandError> cmd(Client& c, std::vector<std::string> args) {
    return run(c.command(std::move(args)));
  }

  // The port of the server a client is connected to, as that server says.
  std::optional<std::uint16_t> server_port(Client& c) {
    auto r = cmd(c, {"CONFIG", "GET", "port"});
    if (!r || r->type != Reply::Type::kArray || r->elements.size() != 2) return std::nullopt;
    return static_cast<std::uint16_t>(std::stoi(r->elements[1].str));
  }

  // Runs the loop until `done()` holds or `limit` passes.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    pump(done, limit);
    return done();
  }

  // Waits (without the loop) for a condition about the servers themselves.
  static bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (!done()) {
      if (Clock::now() - start > limit) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }

  void kill_server(const std::string& name, int signal = SIGKILL) {
    auto it = children_.find(name);
    ASSERT_NE(it, children_.end()) << name;
    ::kill(it->second, signal);
    if (signal == SIGKILL) {
      ::waitpid(it->second, nullptr, 0);
      children_.erase(it);
    }
  }
  void pause_server(const std::string& name) { kill_server(name, SIGSTOP); }
  void resume_server(const std::string& name) { kill_server(name, SIGCONT); }

  // What the sentinels say the primary is (the first that answers).
  static std::optional<std::uint16_t> sentinels_primary() {
    for (const auto port : kSentinelPorts) {
      auto r = SyncRedis(port).command({"SENTINEL", "get-master-addr-by-name", std::string(kMasterName)});
      if (r && r->type == Reply::Type::kArray && r->elements.size() == 2) {
        return static_cast<std::uint16_t>(std::stoi(r->elements[1].str));
      }
    }
    return std::nullopt;
  }

  RedisConfig config_;
  std::filesystem::path dir_;
  std::vector<std::shared_ptr<Client>> clients_;

 private:
  static bool sentinels_ready() {
    for (const auto port : kSentinelPorts) {
      auto r = SyncRedis(port).command({"SENTINEL", "master", std::string(kMasterName)});
      if (!r || r->type != Reply::Type::kArray) return false;
      std::map<std::string, std::string> fields;
      for (std::size_t i = 0; i + 1 < r->elements.size(); i += 2) fields[r->elements[i].str] = r->elements[i + 1].str;
      if (fields["num-slaves"] != "1" || fields["num-other-sentinels"] != "2") return false;
    }
    return true;
  }

  void start_server(const std::string& name, std::uint16_t port, std::vector<std::string> extra) {
    const auto home = dir_ / name;
    std::filesystem::create_directories(home);
    std::vector<std::string> argv{"/usr/bin/redis-server",
                                  "--port",
                                  std::to_string(port),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  home.string(),
                                  "--daemonize",
                                  "no",
                                  "--repl-diskless-sync",
                                  "yes",
                                  "--repl-diskless-sync-delay",
                                  "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    spawn(name, argv, home / "redis.log");
  }

  void start_sentinel(std::size_t i) {
    const std::string name = "sentinel-" + std::to_string(i + 1);
    const auto home = dir_ / name;
    std::filesystem::create_directories(home);
    const auto conf = home / "sentinel.conf";  // the sentinel rewrites it: its own, writable
    {
      std::ofstream out(conf);
      out << "port " << kSentinelPorts[i] << "\n"
          << "bind 127.0.0.1\n"
          << "daemonize no\n"
          << "dir " << home.string() << "\n"
          << "sentinel monitor " << kMasterName << " 127.0.0.1 " << kPrimaryPort << " 2\n"
          << "sentinel down-after-milliseconds " << kMasterName << " 1000\n"
          << "sentinel failover-timeout " << kMasterName << " 5000\n"
          << "sentinel parallel-syncs " << kMasterName << " 1\n";
    }
    spawn(name, {"/usr/bin/redis-sentinel", conf.string()}, home / "sentinel.log");
  }

  void spawn(const std::string& name, const std::vector<std::string>& args, const std::filesystem::path& log) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv's type
    argv.push_back(nullptr);
    const std::string log_path = log.string();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    children_[name] = pid;
  }

  // Stops what is still running: SIGCONT (a paused server), SIGTERM, and SIGKILL after 3 s.
  void stop_all() {
    for (const auto& [name, pid] : children_) {
      ::kill(pid, SIGCONT);
      ::kill(pid, SIGTERM);
    }
    const auto start = Clock::now();
    while (!children_.empty()) {
      for (auto it = children_.begin(); it != children_.end();) {
        it = ::waitpid(it->second, nullptr, WNOHANG) == it->second ? children_.erase(it) : std::next(it);
      }
      if (children_.empty()) break;
      if (Clock::now() - start > 3s) {
        for (const auto& [name, pid] : children_) ::kill(pid, SIGKILL);
        for (const auto& [name, pid] : children_) ::waitpid(pid, nullptr, 0);
        children_.clear();
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  // One holder of the ports at a time, across test processes and build trees (ctest -j, two presets).
  bool lock_ports() {
    lock_fd_ = ::open("/tmp/myclothes-test-ports-27101-27109.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock_fd_ < 0) return false;
    return wait_until([this] { return ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0; }, 120s);
  }
  void unlock_ports() {
    if (lock_fd_ < 0) return;
    ::flock(lock_fd_, LOCK_UN);
    ::close(lock_fd_);
    lock_fd_ = -1;
  }

  std::map<std::string, pid_t> children_;
  int lock_fd_ = -1;
};

}  // namespace mc::redis::testing
