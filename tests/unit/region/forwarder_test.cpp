// The forwarder (region/forwarder.hpp) between plain blocking clients and small upstreams on their own
// threads: the bytes both ways, half-close, an upstream that is down or silent, the connection limit, many
// connections at once, resets, stop(); then, in a network namespace of its own (these tests run as root),
// an upstream only reachable from inside it, and run_forwarder in a child process until SIGTERM.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/task.hpp"
#include "region/forwarder.hpp"

namespace mc::region {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr auto kPrompt = 1s;     // "at once", "promptly": well within this
constexpr auto kPatience = 10s;  // for what only has to happen eventually

// Polls `done` until it holds or `within` has passed.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds within = 5s) {
  const auto until = Clock::now() + within;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::uint64_t netns_inode(const char* path) {
  struct stat st {};
  if (::stat(path, &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_ino);
}

// ---- upstreams -------------------------------------------------------------------------------------------

using Session = std::function<Task<void>(tcp::socket)>;

// A server on 127.0.0.1 (port 0) with a thread and io_context of its own; each connection runs `session`.
// With `netns` the thread enters that namespace first, so its listener lives there.
class Upstream {
 public:
  explicit Upstream(Session session, std::string netns = "") : session_(std::move(session)) {
    std::promise<std::string> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, netns = std::move(netns), &ready] { run(netns, ready); });
    error_ = started.get();
  }
  ~Upstream() {
    io_.stop();
    thread_.join();
  }
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }  // "" when listening

 private:
  void run(const std::string& netns, std::promise<std::string>& ready) {
    if (!netns.empty()) {
      const int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        ready.set_value("upstream cannot enter " + netns + ": " + std::strerror(errno));
        if (fd >= 0) ::close(fd);
        return;
      }
      ::close(fd);
    }
    tcp::acceptor acceptor(io_);
    boost::system::error_code ec;
    const tcp::endpoint at(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(at.protocol(), ec);
    if (!ec) acceptor.bind(at, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      ready.set_value("upstream cannot listen: " + ec.message());
      return;
    }
    port_ = acceptor.local_endpoint().port();
    net::co_spawn(io_, accept(acceptor), net::detached);
    ready.set_value("");
    auto work = net::make_work_guard(io_);
    io_.run();
  }

  Task<void> accept(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      net::co_spawn(io_, session_(std::move(socket)), net::detached);
    }
  }

  Session session_;
  net::io_context io_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::string error_;
};

// Sends back what it reads; at the end of the client's stream, ends its own.
Task<void> echo(tcp::socket s) {
  std::array<char, 16384> buf{};
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(net::buffer(buf), kTuple);
    if (ec) break;
    auto [wec, w] = co_await net::async_write(s, net::buffer(buf.data(), n), kTuple);
    if (wec) co_return;
  }
  boost::system::error_code ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
}

// Reads to the end of the client's stream, then answers how much it got: only a passed-on half-close
// lets it answer at all.
Task<void> answer_at_end(tcp::socket s) {
  std::array<char, 16384> buf{};
  std::size_t total = 0;
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(net::buffer(buf), kTuple);
    if (ec) break;
    total += n;
  }
  const std::string answer = "received " + std::to_string(total) + " bytes\n";
  co_await net::async_write(s, net::buffer(answer), kTuple);
}

// Writes until the other side goes away.
Task<void> firehose(tcp::socket s) {
  std::array<char, 16384> buf{};
  buf.fill('x');
  for (;;) {
    auto [ec, n] = co_await net::async_write(s, net::buffer(buf), kTuple);
    if (ec) co_return;
  }
}

// Says a secret and the inode of the network namespace it runs in (its thread's), then echoes.
Session identify(std::string secret) {
  return [secret = std::move(secret)](tcp::socket s) -> Task<void> {
    const std::string hello =
        "secret " + secret + " netns " + std::to_string(netns_inode("/proc/thread-self/ns/net")) + "\n";
    auto [ec, n] = co_await net::async_write(s, net::buffer(hello), kTuple);
    if (ec) co_return;
    co_await echo(std::move(s));
  };
}

// ---- clients ---------------------------------------------------------------------------------------------

// A blocking client on 127.0.0.1 whose reads have deadlines (poll), so a test fails instead of hanging.
class Client {
 public:
  enum class End { kNone, kEof, kReset, kTimeout };

  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    connect_errno_ = connected_ ? 0 : errno;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int connect_errno() const { return connect_errno_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Reads until `want` bytes (0: the end of the stream) have come, the stream ended, or the deadline.
  std::string read(std::size_t want, std::chrono::milliseconds deadline) {
    std::string out;
    end_ = End::kNone;
    const auto until = Clock::now() + deadline;
    std::array<char, 65536> buf{};
    while (want == 0 || out.size() < want) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
        end_ = End::kTimeout;
        break;
      }
      const std::size_t ask = want == 0 ? buf.size() : std::min(buf.size(), want - out.size());
      const auto n = ::recv(fd_, buf.data(), ask, 0);
      if (n == 0) {
        end_ = End::kEof;
        break;
      }
      if (n < 0) {
        end_ = End::kReset;
        break;
      }
      out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
  }
  std::string read_to_end(std::chrono::milliseconds deadline) { return read(0, deadline); }
  End end() const { return end_; }
  bool closed_by_peer() const { return end_ == End::kEof || end_ == End::kReset; }

  // Closes with a reset (SO_LINGER 0), the way a client that crashes or gives up abruptly does.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool connected_ = false;
  int connect_errno_ = 0;
  End end_ = End::kNone;
};

// A round trip through an echo upstream.
bool echoes(Client& c, const std::string& line) { return c.send(line) && c.read(line.size(), kPatience) == line; }

// A port nothing listens on (bound for a moment by us, then released); 0 if none could be had.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  return bound ? ntohs(a.sin_port) : 0;
}

// ---- the forwarder under test ----------------------------------------------------------------------------

// A started Forwarder on its io_context, run by two threads (so the strands matter).
class Running {
 public:
  explicit Running(const ForwardOptions& o) {
    auto opened = Forwarder::open(io_, o);
    if (!opened) {
      error_ = opened.error();
      return;
    }
    forwarder_ = std::move(*opened);
    forwarder_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~Running() {
    forwarder_.reset();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  bool ok() const { return forwarder_ != nullptr; }
  const std::string& error() const { return error_; }
  Forwarder& operator*() { return *forwarder_; }
  Forwarder* operator->() { return forwarder_.get(); }
  std::uint16_t port() const { return forwarder_->port(); }

 private:
  net::io_context io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_{net::make_work_guard(io_)};
  std::unique_ptr<Forwarder> forwarder_;
  std::vector<std::thread> threads_;
  std::string error_;
};

ForwardOptions to_port(std::uint16_t port) {
  ForwardOptions o;
  o.to_host = "127.0.0.1";
  o.to_port = port;
  return o;
}

std::string random_bytes(std::size_t n) {
  std::mt19937_64 gen(20240611);
  std::string out(n, '\0');
  for (auto& ch : out) ch = static_cast<char>(gen() & 0xff);
  return out;
}

TEST(Forwarder, RelaysAMebibyteBothWaysExactly) {
  Upstream up(echo);
  ASSERT_EQ(up.error(), "");
  Running f(to_port(up.port()));
  ASSERT_TRUE(f.ok()) << f.error();

  const std::string payload = random_bytes(std::size_t{1} << 20);
  Client c(f.port());
  ASSERT_TRUE(c.connected());
  // Written from a second thread while this one reads: neither side's buffers have to hold it all.
  std::thread writer([&] {
    c.send(payload);
    c.shutdown_write();
  });
  const std::string back = c.read_to_end(kPatience);
  writer.join();
  EXPECT_EQ(c.end(), Client::End::kEof);
  ASSERT_EQ(back.size(), payload.size());
  EXPECT_TRUE(back == payload) << "the bytes came back changed";
  ASSERT_TRUE(eventually([&] { return f->counters().open == 0; }));
  const auto n = f->counters();
  EXPECT_EQ(n.bytes_up, payload.size());
  EXPECT_EQ(n.bytes_down, payload.size());
  EXPECT_EQ(n.accepted, 1U);
  EXPECT_EQ(n.connect_failures, 0U);
}

TEST(Forwarder, TheProxyHeaderNamesTheClientAndWhereItConnected) {
  namespace ip = net::ip;
  const auto v4 = proxy_v2_header(tcp::endpoint(ip::make_address("127.0.0.2"), 20001),
                                  tcp::endpoint(ip::make_address("127.0.0.1"), 8080));
  const std::string expected(
      "\r\n\r\n\0\r\nQUIT\n"  // the signature
      "\x21\x11\x00\x0c"      // v2 PROXY, TCP/IPv4, 12 bytes
      "\x7f\x00\x00\x02\x7f\x00\x00\x01"
      "\x4e\x21\x1f\x90",
      28);
  EXPECT_EQ(v4, expected);
  const auto v6 = proxy_v2_header(tcp::endpoint(ip::make_address("::1"), 1), tcp::endpoint(ip::make_address("::1"), 2));
  EXPECT_EQ(v6.size(), 16U + 36U);
  const auto mixed =
      proxy_v2_header(tcp::endpoint(ip::make_address("::1"), 1), tcp::endpoint(ip::make_address("127.0.0.1"), 2));
  EXPECT_EQ(mixed.substr(12), std::string("\x20\x00\x00\x00", 4)) << "LOCAL: names nobody";
}

TEST(Forwarder, WithTheProxyProtocolTheUpstreamHearsWhoConnectedFirst) {
  Upstream up(echo);
  ASSERT_EQ(up.error(), "");
  auto o = to_port(up.port());
  o.proxy_protocol = true;
  Running f(o);
  ASSERT_TRUE(f.ok()) << f.error();
  Client c(f.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("hi"));
  c.shutdown_write();
  const auto back = c.read_to_end(kPatience);
  ASSERT_EQ(back.size(), 28U + 2U) << "the header, then the bytes";
  EXPECT_EQ(back.substr(0, 12), std::string("\r\n\r\n\0\r\nQUIT\n", 12));
  EXPECT_EQ(back.substr(16, 4), std::string("\x7f\x00\x00\x01", 4)) << "the client: 127.0.0.1";
  EXPECT_EQ(back.substr(28), "hi");
}

TEST(Forwarder, PassesAHalfCloseOnAndStillDeliversTheAnswer) {
  Upstream up(answer_at_end);
  ASSERT_EQ(up.error(), "");
  Running f(to_port(up.port()));
  ASSERT_TRUE(f.ok()) << f.error();

  Client c(f.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("hello"));
  c.shutdown_write();  // the upstream only answers once it sees the end of the request
  EXPECT_EQ(c.read_to_end(kPatience), "received 5 bytes\n");
  EXPECT_EQ(c.end(), Client::End::kEof);
}

TEST(Forwarder, ClosesTheClientPromptlyWhenTheUpstreamIsDown) {
  const std::uint16_t down = free_port();
  ASSERT_NE(down, 0);
  Running f(to_port(down));
  ASSERT_TRUE(f.ok()) << f.error();

  Client c(f.port());
  ASSERT_TRUE(c.connected()) << "the forwarder accepts even when the upstream is down";
  const auto began = Clock::now();
  EXPECT_EQ(c.read_to_end(kPatience), "");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(Clock::now() - began, kPrompt);
  ASSERT_TRUE(eventually([&] { return f->counters().connect_failures == 1; }));
  EXPECT_NE(f->last_connect_error().find("Connection refused"), std::string::npos) << f->last_connect_error();
  EXPECT_TRUE(eventually([&] { return f->counters().open == 0; }));
}

TEST(Forwarder, GivesUpOnASilentUpstreamAfterTheConnectTimeout) {
  // A listener whose accept queue is full and that never accepts: Linux drops the next SYN, so a connect
  // to it neither succeeds nor fails (like a firewalled or vanished host).
  const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(silent, 0), 0);
  socklen_t len = sizeof(a);
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  const std::uint16_t port = ntohs(a.sin_port);
  Client filler(port);  // takes the one place in the queue
  ASSERT_TRUE(filler.connected());

  ForwardOptions o = to_port(port);
  o.connect_timeout = 300ms;
  Running f(o);
  ASSERT_TRUE(f.ok()) << f.error();
  Client c(f.port());
  ASSERT_TRUE(c.connected());
  const auto began = Clock::now();
  EXPECT_EQ(c.read_to_end(kPatience), "");
  const auto took = Clock::now() - began;
  ::close(silent);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 300ms + kPrompt);
  ASSERT_TRUE(eventually([&] { return f->counters().connect_failures == 1; }));
  EXPECT_NE(f->last_connect_error().find("timed out"), std::string::npos) << f->last_connect_error();
}

TEST(Forwarder, ClosesTheClientBeyondMaxConnectionsAtOnce) {
  Upstream up(echo);
  ASSERT_EQ(up.error(), "");
  ForwardOptions o = to_port(up.port());
  o.max_connections = 2;
  Running f(o);
  ASSERT_TRUE(f.ok()) << f.error();

  auto first = std::make_unique<Client>(f.port());
  Client second(f.port());
  ASSERT_TRUE(echoes(*first, "one\n"));
  ASSERT_TRUE(echoes(second, "two\n"));

  Client third(f.port());
  ASSERT_TRUE(third.connected()) << "accepted, not left in the backlog";
  const auto began = Clock::now();
  EXPECT_EQ(third.read_to_end(kPatience), "");
  EXPECT_TRUE(third.closed_by_peer());
  EXPECT_LT(Clock::now() - began, kPrompt);
  EXPECT_EQ(f->counters().refused, 1U);
  EXPECT_EQ(f->counters().accepted, 3U);
  EXPECT_TRUE(echoes(*first, "still one\n")) << "the open ones are not disturbed";

  first.reset();  // a place frees up
  ASSERT_TRUE(eventually([&] { return f->counters().open == 1; }));
  Client fourth(f.port());
  EXPECT_TRUE(echoes(fourth, "four\n"));
  EXPECT_EQ(f->counters().refused, 1U);
}

TEST(Forwarder, Relays200ConcurrentConnections) {
  Upstream up(echo);
  ASSERT_EQ(up.error(), "");
  Running f(to_port(up.port()));
  ASSERT_TRUE(f.ok()) << f.error();

  constexpr int kClients = 200;
  std::vector<std::unique_ptr<Client>> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(f.port()));
    ASSERT_TRUE(clients.back()->connected()) << "client " << i;
  }
  // Every request is sent before any answer is read: all 200 are in flight at once.
  for (int i = 0; i < kClients; ++i) ASSERT_TRUE(clients[i]->send("request " + std::to_string(i) + "\n"));
  for (int i = 0; i < kClients; ++i) {
    const std::string want = "request " + std::to_string(i) + "\n";
    EXPECT_EQ(clients[i]->read(want.size(), kPatience), want) << "client " << i;
  }
  EXPECT_EQ(f->counters().open, kClients);
  clients.clear();
  ASSERT_TRUE(eventually([&] { return f->counters().open == 0; }));
  const auto n = f->counters();
  EXPECT_EQ(n.accepted, static_cast<std::uint64_t>(kClients));
  EXPECT_EQ(n.refused, 0U);
  EXPECT_EQ(n.connect_failures, 0U);
  EXPECT_EQ(n.bytes_up, n.bytes_down);
}

TEST(Forwarder, SurvivesClientsThatReset) {
  Upstream up(firehose);
  ASSERT_EQ(up.error(), "");
  Running f(to_port(up.port()));
  ASSERT_TRUE(f.ok()) << f.error();

  for (int i = 0; i < 20; ++i) {
    Client early(f.port());  // gone before (or while) the forwarder connects upstream
    early.reset();
    Client busy(f.port());  // gone in the middle of a download
    EXPECT_EQ(busy.read(65536, kPatience).size(), 65536U);
    busy.reset();
  }
  EXPECT_TRUE(eventually([&] { return f->counters().open == 0; }))
      << "every upstream connection closed too; open: " << f->counters().open;
  Client after(f.port());
  EXPECT_EQ(after.read(65536, kPatience).size(), 65536U) << "the forwarder still serves";
}

TEST(Forwarder, StopClosesTheListenerAndEveryConnection) {
  Upstream up(echo);
  ASSERT_EQ(up.error(), "");
  Running f(to_port(up.port()));
  ASSERT_TRUE(f.ok()) << f.error();
  const std::uint16_t port = f.port();

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(port));
    ASSERT_TRUE(echoes(*clients.back(), "hi\n"));
  }
  const auto began = Clock::now();
  f->stop();
  for (auto& c : clients) {
    EXPECT_EQ(c->read_to_end(kPatience), "");
    EXPECT_TRUE(c->closed_by_peer());
  }
  EXPECT_LT(Clock::now() - began, kPrompt);
  EXPECT_TRUE(eventually([&] { return f->counters().open == 0; }));
  EXPECT_TRUE(eventually([&] { return Client(port).connect_errno() == ECONNREFUSED; }, kPrompt))
      << "nothing listens after stop()";
}

TEST(Forwarder, OpenSaysWhatFailedAndWhatToDo) {
  net::io_context io;
  Upstream busy(echo);  // holds a port
  ASSERT_EQ(busy.error(), "");

  ForwardOptions o = to_port(9);
  o.listen_port = busy.port();
  auto taken = Forwarder::open(io, o);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error(), "cannot listen on 127.0.0.1:" + std::to_string(busy.port()) +
                               ": Address already in use; stop what listens there or pick another --port");

  o.listen_port = 0;
  o.netns = "/run/netns/mc-fwdtest-none-" + std::to_string(::getpid());
  auto missing = Forwarder::open(io, o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "cannot open network namespace " + o.netns +
                                 ": No such file or directory; create it first (ip netns add NAME)");

  o.netns = "/etc/hostname";  // a file, not a namespace
  auto not_netns = Forwarder::open(io, o);
  ASSERT_FALSE(not_netns);
  EXPECT_EQ(not_netns.error(),
            "cannot enter network namespace /etc/hostname: Invalid argument; is it a network "
            "namespace (ip netns list)?");

  auto nowhere = Forwarder::open(io, ForwardOptions{});
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error(), "no destination: to_host and to_port (the load balancer's address) are required");
}

TEST(Forwarder, RunForwarderReturnsOneWhenItCannotOpen) {
  Upstream busy(echo);
  ASSERT_EQ(busy.error(), "");
  ForwardOptions o = to_port(busy.port());
  o.listen_port = busy.port();
  testing::internal::CaptureStderr();
  const int status = run_forwarder(o);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, 1);
  EXPECT_NE(err.find("forward: cannot listen on 127.0.0.1:"), std::string::npos) << err;
}

// ---- in a network namespace ------------------------------------------------------------------------------

// Runs a shell command; its exit status and what it printed (both streams).
std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A namespace of the test's own (mc-fwdtest-PID) with its loopback up, deleted again whatever happens.
class ForwarderNetns : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0U) << "these tests create a network namespace: run them as root";
    ASSERT_EQ(shell("command -v ip").first, 0) << "`ip` (iproute2) is missing: script/bootstrap installs it";
    name_ = "mc-fwdtest-" + std::to_string(::getpid());
    path_ = "/run/netns/" + name_;
    shell("ip netns delete " + name_);  // left over from a run that was killed
    const auto [added, add_out] = shell("ip netns add " + name_);
    ASSERT_EQ(added, 0) << "ip netns add " << name_ << ": " << add_out;
    created_ = true;
    const auto [up, up_out] = shell("ip -n " + name_ + " link set lo up");
    ASSERT_EQ(up, 0) << "ip -n " << name_ << " link set lo up: " << up_out;
  }
  void TearDown() override {
    if (!created_) return;
    const auto [deleted, out] = shell("ip netns delete " + name_);
    EXPECT_EQ(deleted, 0) << "ip netns delete " << name_ << ": " << out;
  }

  std::string name_;
  std::string path_;
  bool created_ = false;
};

TEST_F(ForwarderNetns, ReachesAnUpstreamOnlyInsideTheNamespace) {
  const std::uint64_t ours = netns_inode("/proc/thread-self/ns/net");
  const std::uint64_t theirs = netns_inode(path_.c_str());
  ASSERT_NE(theirs, 0U);
  ASSERT_NE(ours, theirs);

  const std::string secret = std::to_string(std::random_device{}());
  Upstream up(identify(secret), path_);
  ASSERT_EQ(up.error(), "");

  ForwardOptions o = to_port(up.port());
  o.netns = path_;
  Running f(o);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(netns_inode("/proc/thread-self/ns/net"), ours) << "open() left the caller's thread where it was";

  const std::string hello = "secret " + secret + " netns " + std::to_string(theirs) + "\n";
  for (int i = 0; i < 20; ++i) {
    Client c(f.port());  // on this machine's 127.0.0.1, in the test's namespace
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.read(hello.size(), kPatience), hello) << "connection " << i;
    EXPECT_TRUE(echoes(c, "and back\n"));
  }

  // The same port on this namespace's 127.0.0.1 is not the upstream.
  Client direct(up.port());
  if (direct.connected()) {
    EXPECT_EQ(direct.read(hello.size(), 200ms).find(secret), std::string::npos);
  }
  EXPECT_EQ(f->counters().connect_failures, 0U);
}

TEST_F(ForwarderNetns, RunForwarderServesUntilSigterm) {
  const std::string secret = std::to_string(std::random_device{}());
  Upstream up(identify(secret), path_);
  ASSERT_EQ(up.error(), "");

  std::array<int, 2> out{};
  ASSERT_EQ(::pipe(out.data()), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ForwardOptions o = to_port(up.port());
    o.netns = path_;
    ::_exit(run_forwarder(o, 2));
  }
  ::close(out[1]);
  std::string line;
  std::array<char, 256> buf{};
  pollfd p{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&p, 1, 5000) > 0) {
    const auto n = ::read(out[0], buf.data(), buf.size());
    if (n <= 0) break;
    line.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(out[0]);

  std::uint16_t port = 0;
  const std::string head = "forward: 127.0.0.1:";
  if (line.starts_with(head)) port = static_cast<std::uint16_t>(std::stoi(line.substr(head.size())));
  EXPECT_EQ(line, head + std::to_string(port) + " -> 127.0.0.1:" + std::to_string(up.port()) + " (from namespace " +
                      path_ + ")\n");
  // A connection that is still open when the signal comes is closed, not waited for.
  std::unique_ptr<Client> open_one;
  if (port != 0) {
    open_one = std::make_unique<Client>(port);
    const std::string said = "secret " + secret + " ";
    EXPECT_EQ(open_one->read(said.size(), kPatience), said);
  }

  ::kill(child, SIGTERM);
  int status = -1;
  const bool ended = eventually([&] { return ::waitpid(child, &status, WNOHANG) == child; });
  if (!ended) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  if (open_one) {
    open_one->read_to_end(kPrompt);
    EXPECT_TRUE(open_one->closed_by_peer());
  }
  ASSERT_TRUE(ended) << "run_forwarder did not end after SIGTERM";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace mc::region
