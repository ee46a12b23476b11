#include "region/forwarder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "core/task.hpp"

namespace mc::region {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// Expected outcomes of I/O (a reset, a refused connect, the other side going away) are values.
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr std::size_t kBufferBytes = std::size_t{16} * 1024;  // per direction and connection
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr std::chrono::seconds kReportInterval{1};

struct Connection;

// Shared by the Forwarder and every coroutine it starts (they hold it by shared_ptr, so a coroutine that
// finishes after the Forwarder is gone still finds it).
struct State : std::enable_shared_from_this<State> {
  State(net::io_context& context, ForwardOptions o, tcp::endpoint destination)
      : io(context),
        options(std::move(o)),
        to(std::move(destination)),
        accept_strand(net::make_strand(context)),
        acceptor(accept_strand) {}

  void remember(const std::shared_ptr<Connection>& c, std::uint64_t id) {
    const std::lock_guard lock(mutex);
    connections.emplace(id, c);
  }
  void forget(std::uint64_t id) {
    const std::lock_guard lock(mutex);
    connections.erase(id);
  }
  void connect_failed(std::string why) {
    connect_failures.fetch_add(1, std::memory_order_relaxed);
    const std::lock_guard lock(mutex);
    last_connect_error = std::move(why);
  }
  std::string to_text() const {
    const auto a = to.address();
    return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), to.port())
                     : fmt::format("{}:{}", a.to_string(), to.port());
  }
  std::string where() const {
    return options.netns.empty() ? std::string() : fmt::format(" from namespace {}", options.netns);
  }

  net::io_context& io;
  const ForwardOptions options;
  const tcp::endpoint to;
  net::strand<net::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;  // used on accept_strand only
  std::uint16_t port = 0;
  std::atomic<bool> stopped{false};

  // The thread inside `netns` runs this context; null when netns is empty. Jobs are posted to it only while
  // `netns_open` (under `mutex`), so none is left behind when its thread ends.
  std::unique_ptr<net::io_context> netns_io;
  bool netns_open = false;

  std::atomic<int> open{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> connect_failures{0};
  std::atomic<std::uint64_t> bytes_up{0};
  std::atomic<std::uint64_t> bytes_down{0};

  mutable std::mutex mutex;  // connections, last_connect_error, netns_open
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t next_id = 0;  // the accept loop's alone
  std::string last_connect_error;
};

// One relayed connection: both sockets and everything else are touched on its strand only.
struct Connection {
  Connection(std::shared_ptr<State> s, std::uint64_t connection_id, net::any_io_executor ex, tcp::socket c)
      : state(std::move(s)),
        id(connection_id),
        strand(std::move(ex)),
        client(std::move(c)),
        upstream(strand),
        connect_timer(strand) {}
  ~Connection() {
    state->forget(id);
    state->open.fetch_sub(1, std::memory_order_relaxed);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Ends the connection at once, both ways; the pending reads and writes complete with an error.
  void close() {
    closed = true;
    error_code ignored;
    client.close(ignored);
    upstream.close(ignored);
    connect_timer.cancel();
  }

  std::shared_ptr<State> state;
  std::uint64_t id;
  net::any_io_executor strand;
  tcp::socket client;
  tcp::socket upstream;
  net::steady_timer connect_timer;
  bool connecting = false;
  bool timed_out = false;
  bool closed = false;
  int directions_done = 0;  // reached the end of their stream (a half-close each)
};

// The root of every coroutine: I/O outcomes are values, so what lands here is unexpected (memory).
auto log_failure(const char* what) {
  return [what](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("forward: {} failed: {}", what, ex.what());
    } catch (...) {
      spdlog::error("forward: {} failed", what);
    }
  };
}

// Completes with a new, unconnected TCP socket (a descriptor the caller owns) created by the thread inside
// the namespace; the completion runs on the caller's executor.
template <class Token>
auto async_make_socket(State& s, Token&& token) {
  return net::async_initiate<Token, void(error_code, int)>(
      [&s](auto handler) {
        auto work = net::make_work_guard(net::get_associated_executor(handler, s.io.get_executor()));
        const std::lock_guard lock(s.mutex);
        if (!s.netns_open) {
          net::post(work.get_executor(), [h = std::move(handler)]() mutable {
            std::move(h)(error_code(net::error::operation_aborted), -1);
          });
          return;
        }
        const int family = s.to.protocol().family();
        net::post(*s.netns_io, [family, h = std::move(handler), work = std::move(work)]() mutable {
          const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
          error_code ec;
          if (fd < 0) ec.assign(errno, boost::system::system_category());
          net::post(work.get_executor(), [h = std::move(h), ec, fd]() mutable { std::move(h)(ec, fd); });
        });
      },
      token);
}

// Copies `from` to `to` until `from` ends; passes the end on as a half-close.
Task<void> pump(std::shared_ptr<Connection> c, tcp::socket& from, tcp::socket& to, std::atomic<std::uint64_t>& bytes) {
  std::array<char, kBufferBytes> buffer;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled by reads
  for (;;) {
    auto [read_ec, n] = co_await from.async_read_some(net::buffer(buffer), kTuple);
    if (read_ec) {
      if (read_ec == net::error::eof && !c->closed) {
        error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        if (++c->directions_done == 2) c->close();
      } else {
        c->close();
      }
      co_return;
    }
    auto [write_ec, written] = co_await net::async_write(to, net::buffer(buffer.data(), n), kTuple);
    if (write_ec) {
      c->close();
      co_return;
    }
    bytes.fetch_add(written, std::memory_order_relaxed);
  }
}

// Opens the upstream socket (inside the namespace when there is one), connects it within the timeout, then
// relays both ways.
Task<void> relay(std::shared_ptr<Connection> c) {
  State& s = *c->state;
  error_code ec;
  if (s.netns_io) {
    auto [make_ec, fd] = co_await async_make_socket(s, kTuple);
    ec = make_ec;
    if (!ec) {
      c->upstream.assign(s.to.protocol(), fd, ec);
      if (ec) ::close(fd);
    }
  } else {
    c->upstream.open(s.to.protocol(), ec);
  }
  if (c->closed) co_return;  // stop() came first
  if (!ec) {
    c->connecting = true;
    c->connect_timer.expires_after(s.options.connect_timeout);
    c->connect_timer.async_wait([c](const error_code& timer_ec) {
      if (timer_ec || !c->connecting) return;
      c->timed_out = true;
      error_code ignored;
      c->upstream.close(ignored);
    });
    auto [connect_ec] = co_await c->upstream.async_connect(s.to, kTuple);
    c->connecting = false;
    c->connect_timer.cancel();
    ec = c->timed_out ? error_code(net::error::timed_out) : connect_ec;
  }
  if (c->closed) co_return;
  if (ec) {
    s.connect_failed(fmt::format("connect to {}{}: {}", s.to_text(), s.where(), ec.message()));
    c->close();
    co_return;
  }
  error_code ignored;
  c->client.set_option(tcp::no_delay(true), ignored);
  c->upstream.set_option(tcp::no_delay(true), ignored);
  if (s.options.proxy_protocol) {
    const auto from = c->client.remote_endpoint(ec);
    const auto to = ec ? tcp::endpoint() : c->client.local_endpoint(ec);
    if (!ec) {
      const auto header = proxy_v2_header(from, to);
      std::tie(ec, std::ignore) = co_await net::async_write(c->upstream, net::buffer(header), kTuple);
    }
    if (ec || c->closed) {
      c->close();
      co_return;
    }
  }
  net::co_spawn(c->strand, pump(c, c->client, c->upstream, s.bytes_up), log_failure("a connection"));
  co_await pump(c, c->upstream, c->client, s.bytes_down);
}

Task<void> accept_loop(std::shared_ptr<State> s) {
  net::steady_timer backoff(s->accept_strand);
  for (;;) {
    auto strand = net::make_strand(s->io);
    auto [ec, socket] = co_await s->acceptor.async_accept(strand, kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !s->acceptor.is_open()) co_return;
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory) {
        // Out of file descriptors: retrying at once would spin; let connections finish first.
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(kTuple);
      }
      continue;
    }
    s->accepted.fetch_add(1, std::memory_order_relaxed);
    if (s->stopped.load() || s->open.load(std::memory_order_relaxed) >= s->options.max_connections) {
      // Accepted and closed rather than left in the backlog, where the client would wait for nothing.
      if (!s->stopped.load()) s->refused.fetch_add(1, std::memory_order_relaxed);
      socket.close(ec);
      continue;
    }
    s->open.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t id = s->next_id++;
    auto conn = std::make_shared<Connection>(s, id, strand, tcp::socket(std::move(socket)));
    s->remember(conn, id);
    // stop() sets `stopped` before it walks the connections: one it did not see sees the flag.
    if (s->stopped.load()) net::post(strand, [conn] { conn->close(); });
    net::co_spawn(strand, relay(std::move(conn)), log_failure("a connection"));
  }
}

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::optional<net::ip::address> numeric(const std::string& host) {
  error_code ec;
  const auto address = net::ip::make_address(strip_brackets(host), ec);
  if (ec) return std::nullopt;
  return address;
}

// What to do about a listener that cannot be opened.
std::string listen_advice(const error_code& ec) {
  if (ec == net::error::address_in_use) return "; stop what listens there or pick another --port";
  if (ec == net::error::access_denied) return "; run as root or pick a port above 1023";
  if (ec.value() == EADDRNOTAVAIL) return "; give an address of this machine";
  return "";
}

// The thread inside the namespace: enters it, checks that a socket can be made there, reports, then runs
// the jobs posted to `io` until its work guard goes.
void netns_thread(int nsfd, const std::string& path, net::io_context& io, std::promise<std::string>& ready) {
  std::string err;
  if (::setns(nsfd, CLONE_NEWNET) != 0) {
    const int e = errno;
    err = fmt::format("cannot enter network namespace {}: {}{}", path, std::strerror(e),
                      e == EPERM    ? "; entering a namespace needs CAP_SYS_ADMIN (run as root)"
                      : e == EINVAL ? "; is it a network namespace (ip netns list)?"
                                    : "");
  }
  ::close(nsfd);
  if (err.empty()) {
    const int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (probe < 0) {
      err = fmt::format("cannot create a socket in network namespace {}: {}", path, std::strerror(errno));
    } else {
      ::close(probe);
    }
  }
  const bool ok = err.empty();
  ready.set_value(std::move(err));
  if (ok) io.run();
}

}  // namespace

std::string proxy_v2_header(const tcp::endpoint& client, const tcp::endpoint& to) {
  static constexpr unsigned char kSignature[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  std::string h(reinterpret_cast<const char*>(kSignature), sizeof(kSignature));
  auto port = [&h](std::uint16_t p) {
    h += static_cast<char>(p >> 8);
    h += static_cast<char>(p & 0xFF);
  };
  const auto a = client.address();
  const auto b = to.address();
  if (a.is_v4() && b.is_v4()) {
    h += '\x21';  // version 2, PROXY
    h += '\x11';  // TCP over IPv4
    port(12);     // the length of what follows
    for (const auto byte : a.to_v4().to_bytes()) h += static_cast<char>(byte);
    for (const auto byte : b.to_v4().to_bytes()) h += static_cast<char>(byte);
  } else if (a.is_v6() && b.is_v6()) {
    h += '\x21';
    h += '\x21';  // TCP over IPv6
    port(36);
    for (const auto byte : a.to_v6().to_bytes()) h += static_cast<char>(byte);
    for (const auto byte : b.to_v6().to_bytes()) h += static_cast<char>(byte);
  } else {
    h += '\x20';  // version 2, LOCAL: no addresses
    h += '\x00';
    port(0);
    return h;
  }
  port(client.port());
  port(to.port());
  return h;
}

struct Forwarder::Impl {
  std::shared_ptr<State> state;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> netns_work;
  std::thread netns_thread;

  void end_netns_thread() {
    if (!netns_thread.joinable()) return;
    {
      const std::lock_guard lock(state->mutex);
      state->netns_open = false;
    }
    netns_work.reset();  // its run() returns once the jobs already posted are done
    netns_thread.join();
  }
};

Forwarder::Forwarder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Forwarder::~Forwarder() {
  stop();
  impl_->end_netns_thread();
}

Expected<std::unique_ptr<Forwarder>, std::string> Forwarder::open(net::io_context& io, const ForwardOptions& o) {
  if (o.to_host.empty() || o.to_port == 0) {
    return Unexpected(std::string("no destination: to_host and to_port (the load balancer's address) are required"));
  }
  if (o.max_connections < 1) {
    return Unexpected(fmt::format("max_connections is {}; it must be at least 1", o.max_connections));
  }

  // The destination: an address, or a name resolved once, here (in this namespace).
  tcp::endpoint to;
  if (const auto address = numeric(o.to_host)) {
    to = tcp::endpoint(*address, o.to_port);
  } else {
    error_code ec;
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(o.to_host, std::to_string(o.to_port), ec);
    if (ec || results.empty()) {
      return Unexpected(fmt::format("cannot resolve {}: {}; give the load balancer's IP address", o.to_host,
                                    ec ? ec.message() : std::string("no address")));
    }
    to = results.begin()->endpoint();
  }

  const auto listen_address = numeric(o.listen_host);
  if (!listen_address) {
    return Unexpected(fmt::format("cannot listen on {}:{}: not an IP address; give one of this machine's addresses",
                                  o.listen_host, o.listen_port));
  }
  auto impl = std::make_unique<Impl>();
  impl->state = std::make_shared<State>(io, o, to);
  State& s = *impl->state;

  // The listener first, in the namespace this thread is in.
  const tcp::endpoint listen_at(*listen_address, o.listen_port);
  error_code ec;
  s.acceptor.open(listen_at.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(listen_at, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) s.port = s.acceptor.local_endpoint(ec).port();
  if (ec) {
    return Unexpected(
        fmt::format("cannot listen on {}:{}: {}{}", o.listen_host, o.listen_port, ec.message(), listen_advice(ec)));
  }

  // Then the thread that makes the outgoing sockets inside the namespace.
  if (!o.netns.empty()) {
    const int nsfd = ::open(o.netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
      return Unexpected(fmt::format("cannot open network namespace {}: {}; create it first (ip netns add NAME)",
                                    o.netns, std::strerror(errno)));
    }
    s.netns_io = std::make_unique<net::io_context>(1);
    impl->netns_work.emplace(net::make_work_guard(*s.netns_io));
    std::promise<std::string> ready;
    auto entered = ready.get_future();
    impl->netns_thread =
        std::thread(netns_thread, nsfd, std::cref(s.options.netns), std::ref(*s.netns_io), std::ref(ready));
    std::string err = entered.get();
    if (!err.empty()) {
      impl->netns_work.reset();
      impl->netns_thread.join();
      return Unexpected(std::move(err));
    }
    const std::lock_guard lock(s.mutex);
    s.netns_open = true;
  }
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(impl)));
}

std::uint16_t Forwarder::port() const { return impl_->state->port; }

void Forwarder::start() {
  net::co_spawn(impl_->state->accept_strand, accept_loop(impl_->state), log_failure("the accept loop"));
}

void Forwarder::stop() {
  const auto& s = impl_->state;
  s->stopped.store(true);
  net::post(s->accept_strand, [s] {
    error_code ignored;
    s->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    const std::lock_guard lock(s->mutex);
    live.reserve(s->connections.size());
    for (const auto& [id, weak] : s->connections) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) {
    net::post(c->strand, [c] { c->close(); });
  }
}

Forwarder::Counters Forwarder::counters() const {
  const State& s = *impl_->state;
  return Counters{s.accepted.load(), s.refused.load(),    s.connect_failures.load(),
                  s.bytes_up.load(), s.bytes_down.load(), s.open.load()};
}

std::string Forwarder::last_connect_error() const {
  const State& s = *impl_->state;
  const std::lock_guard lock(s.mutex);
  return s.last_connect_error;
}

int run_forwarder(const ForwardOptions& o, int threads) {
  threads = std::max(threads, 1);
  net::io_context io(threads);
  auto opened = Forwarder::open(io, o);
  if (!opened) {
    std::fprintf(stderr, "forward: %s\n", opened.error().c_str());
    return 1;
  }
  Forwarder& forwarder = **opened;

  // The signal and the report share a strand: with several threads their handlers never overlap.
  auto control = net::make_strand(io);
  net::signal_set signals(control, SIGINT, SIGTERM);
  net::steady_timer report(control);
  std::uint64_t reported = 0;
  bool stopping = false;
  std::function<void()> report_failures = [&] {
    report.expires_after(kReportInterval);
    report.async_wait([&](const error_code& ec) {
      if (ec || stopping) return;
      const std::uint64_t failures = forwarder.counters().connect_failures;
      if (failures > reported) {
        std::fprintf(stderr, "forward: %llu connection(s) could not reach the upstream (%s)\n",
                     static_cast<unsigned long long>(failures - reported), forwarder.last_connect_error().c_str());
        reported = failures;
      }
      report_failures();
    });
  };
  signals.async_wait([&](const error_code& ec, int) {
    if (ec) return;
    stopping = true;
    report.cancel();
    forwarder.stop();
  });

  forwarder.start();
  report_failures();
  std::fputs(fmt::format("forward: {}:{} -> {}:{}{}\n", o.listen_host, forwarder.port(), o.to_host, o.to_port,
                         o.netns.empty() ? std::string() : fmt::format(" (from namespace {})", o.netns))
                 .c_str(),
             stdout);
  std::fflush(stdout);

  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads - 1));
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();  // returns once stop() has closed everything
  for (auto& t : pool) t.join();
  return 0;
}

}  // namespace mc::region
