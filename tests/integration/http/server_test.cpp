// The HTTP server over real sockets on 127.0.0.1: 2 workers (2 io_contexts on 2 threads) and a plain POSIX
// client, so what is checked is exactly what goes over the wire. Needs no services.
#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <set>
#include <thread>

namespace mc::http {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct WireResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return true;
    }
    return false;
  }
};

// 0 on success (fd set), else errno.
int connect_to(std::uint16_t port, int& fd) {
  fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return errno;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    fd = -1;
    return err;
  }
  return 0;
}

// A blocking client with deadlines on every read.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    const int err = connect_to(port, fd_);
    if (err != 0) ADD_FAILURE() << "connect: " << std::strerror(err);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response; nullopt when the connection closes or the deadline passes first.
  std::optional<WireResponse> read_response(bool head_request = false, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    WireResponse r;
    const std::string head = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0 || status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    for (std::size_t pos = line_end + 2; pos < head.size(); pos = line_end + 2) {
      line_end = head.find("\r\n", pos);
      const std::string line = head.substr(pos, line_end - pos);
      const auto colon = line.find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(line.substr(0, colon), value);
    }
    if (head_request || r.status == 304 || r.status == 204 || r.status < 200) return r;
    const std::string length = r.header("Content-Length");
    if (length.empty()) return std::nullopt;  // this server always frames with Content-Length
    const std::size_t n = std::stoul(length);
    while (buffer_.size() < n) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return r;
  }

  // Bytes the server sent that no response has consumed.
  const std::string& unread() const { return buffer_; }

  // True when the server closes the connection (EOF or reset) within `timeout`; data before that is kept.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    return closed_;
  }

 private:
  bool fill(Clock::time_point deadline) {
    if (closed_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

// What the slow and held handlers report to the test thread.
struct Signals {
  std::promise<void> slow_started;
  std::atomic<bool> slow_started_once{false};
  std::promise<void> hold_started;
  std::atomic<bool> hold_started_once{false};
  std::atomic<bool> release_hold{false};
};

std::shared_ptr<Router> make_router(const std::string& static_root, const std::shared_ptr<Signals>& signals) {
  auto r = std::make_shared<Router>();
  r->add(Method::kGet, "/hello", [](Request&) -> Task<Response> { co_return Response::text(200, "hello"); });
  r->add(Method::kGet, "/n/{n}",
         [](Request& req) -> Task<Response> { co_return Response::text(200, req.path_params.at(0)); });
  r->add(Method::kPost, "/echo", [](Request& req) -> Task<Response> { co_return Response::text(200, req.body); });
  r->add(Method::kGet, "/whoami", [](Request& req) -> Task<Response> {
    co_return Response::text(200, req.remote_address + (req.secure ? " secure" : " plain"));
  });
  r->add(Method::kGet, "/client",
         [](Request& req) -> Task<Response> { co_return Response::text(200, req.client_address); });
  r->add(Method::kGet, "/slow", [signals](Request&) -> Task<Response> {
    if (!signals->slow_started_once.exchange(true)) signals->slow_started.set_value();
    net::steady_timer timer(co_await net::this_coro::executor, 300ms);
    co_await timer.async_wait(net::use_awaitable);
    co_return Response::text(200, "slow done");
  });
  r->add(Method::kGet, "/hold", [signals](Request&) -> Task<Response> {
    if (!signals->hold_started_once.exchange(true)) signals->hold_started.set_value();
    net::steady_timer timer(co_await net::this_coro::executor);
    // Bounded: the test releases it long before.
    for (int i = 0; i < 2000 && !signals->release_hold.load(); ++i) {
      timer.expires_after(5ms);
      co_await timer.async_wait(net::use_awaitable);
    }
    co_return Response::text(200, "released");
  });
  r->add(Method::kGet, "/static/*", static_files(static_root));
  return r;
}

class TestServer {
 public:
  TestServer(const ServerConfig& config, const std::shared_ptr<Router>& router)
      : lifecycle(std::make_shared<Lifecycle>()) {
    std::vector<Server::Worker> workers;
    for (int i = 0; i < 2; ++i) {
      ios_.push_back(std::make_unique<net::io_context>(1));
      auto inner = with_middleware(router, {"test-instance", "z", nullptr});
      // Tag responses with the worker that answered, to see that both acceptors take connections.
      Handler tagged = [inner, i](Request& req) -> Task<Response> {
        Response r = co_await inner(req);
        r.set("X-Worker", std::to_string(i));
        co_return r;
      };
      workers.push_back({ios_.back().get(), std::move(tagged)});
    }
    server = std::make_unique<Server>(config, lifecycle, std::move(workers));
    server->start();
    for (auto& io : ios_) {
      guards_.push_back(net::make_work_guard(*io));
      auto done = std::make_shared<std::promise<void>>();
      finished_.push_back(done->get_future());
      threads_.emplace_back([&io = *io, done] {
        io.run();
        done->set_value();
      });
    }
  }

  ~TestServer() {
    server->stop();
    guards_.clear();
    // stop() closes every connection and acceptor, so each io_context runs out of work by itself.
    for (std::size_t i = 0; i < ios_.size(); ++i) {
      if (finished_[i].wait_for(5s) != std::future_status::ready) {
        ADD_FAILURE() << "worker " << i << " still busy 5 s after stop()";
        ios_[i]->stop();
      }
    }
    for (auto& t : threads_) t.join();
    server.reset();
  }

  std::uint16_t port() const { return server->port(); }

  std::shared_ptr<Lifecycle> lifecycle;
  std::unique_ptr<Server> server;

 private:
  std::vector<std::unique_ptr<net::io_context>> ios_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
  std::vector<std::future<void>> finished_;
  std::vector<std::thread> threads_;
};

ServerConfig test_config() {
  ServerConfig c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.instance_id = "test-instance";
  c.az = "z";
  c.read_timeout = 5s;
  c.idle_timeout = 30s;
  c.header_limit_bytes = 1024;
  c.body_limit_bytes = 1024;
  return c;
}

class HttpServer : public ::testing::Test {
 protected:
  HttpServer() {
    static_root_ = std::filesystem::path(::testing::TempDir()) / ("mc_http_static_" + std::to_string(::getpid()));
    std::filesystem::create_directories(static_root_);
    std::ofstream(static_root_ / "app.css") << "body{margin:0}";
    signals_ = std::make_shared<Signals>();
    router_ = make_router(static_root_.string(), signals_);
  }
  ~HttpServer() override { std::filesystem::remove_all(static_root_); }

  std::filesystem::path static_root_;
  std::shared_ptr<Signals> signals_;
  std::shared_ptr<Router> router_;
};

TEST_F(HttpServer, BindsAnEphemeralPortOnEveryWorker) {
  TestServer s(test_config(), router_);
  EXPECT_NE(s.port(), 0);
  std::set<std::string> workers;
  for (int i = 0; i < 24 && workers.size() < 2; ++i) {
    Client c(s.port());
    ASSERT_TRUE(c.send(get("/hello")));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    workers.insert(r->header("X-Worker"));
  }
  EXPECT_EQ(workers.size(), 2u) << "the kernel should spread connections over both SO_REUSEPORT acceptors";
}

TEST_F(HttpServer, KeepAliveServesSequentialRequestsOnOneConnection) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/hello")));
  auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "hello");
  EXPECT_EQ(first->header("Content-Length"), "5");
  EXPECT_EQ(first->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(first->header("X-Instance-Id"), "test-instance");
  EXPECT_EQ(first->header("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(first->header("X-Request-Id").empty());
  EXPECT_FALSE(first->header("Date").empty());
  EXPECT_FALSE(first->has_header("Connection"));

  ASSERT_TRUE(c.send(get("/n/%ED%95%AD")));
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "항");
  EXPECT_NE(second->header("X-Request-Id"), first->header("X-Request-Id"));
}

TEST_F(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/n/1") + get("/n/2", "X-Request-Id: second\r\n") + get("/n/3")));
  for (const char* expected : {"1", "2", "3"}) {
    const auto r = c.read_response();
    ASSERT_TRUE(r) << expected;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, expected);
    if (std::string_view(expected) == "2") {
      EXPECT_EQ(r->header("X-Request-Id"), "second");
    }
  }
}

TEST_F(HttpServer, HeadGetsTheLengthButNoBody) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  // A GET right behind the HEAD: any stray body bytes would corrupt the second response.
  ASSERT_TRUE(c.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/n/7")));
  const auto head = c.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "5");
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "7");
}

TEST_F(HttpServer, HeaderOverTheLimitIs431AndCloses) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/hello", "X-Big: " + std::string(2000, 'a') + "\r\n")));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_NE(r->body.find("\"headers_too_large\""), std::string::npos);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_EQ(r->header("X-Instance-Id"), "test-instance");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(HttpServer, TheHeaderLimitCountsTheRequestLineAndTheFieldsTogether) {
  TestServer s(test_config(), router_);  // 1 KiB
  // Each alone within the limit, together above it: before, each part got the whole limit.
  Client c(s.port());
  ASSERT_TRUE(c.send("GET /hello?pad=" + std::string(600, 'p') +
                     " HTTP/1.1\r\nHost: test\r\nX-Pad: " + std::string(600, 'f') + "\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  Client ok(s.port());
  ASSERT_TRUE(ok.send("GET /hello?pad=" + std::string(300, 'p') +
                      " HTTP/1.1\r\nHost: test\r\nX-Pad: " + std::string(300, 'f') + "\r\n\r\n"));
  const auto fine = ok.read_response();
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST_F(HttpServer, AnHttp11RequestNeedsExactlyOneHost) {
  TestServer s(test_config(), router_);
  for (const char* request : {"GET /hello HTTP/1.1\r\n\r\n", "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}) {
    Client c(s.port());
    ASSERT_TRUE(c.send(request));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_NE(r->body.find("exactly one Host"), std::string::npos) << r->body;
    EXPECT_TRUE(c.closed_within(5s));
  }
  Client old(s.port());
  ASSERT_TRUE(old.send("GET /hello HTTP/1.0\r\n\r\n"));
  const auto r = old.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "HTTP/1.0 has no Host requirement";
}

TEST_F(HttpServer, BodyOverTheLimitIs413AndCloses) {
  TestServer s(test_config(), router_);
  {
    Client ok(s.port());
    ASSERT_TRUE(ok.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789"));
    const auto r = ok.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "0123456789");
  }
  Client c(s.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b')));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("\"body_too_large\""), std::string::npos);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(HttpServer, ChunkedBodyOverTheLimitIs413) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  const std::string chunk(800, 'c');
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
                     "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServer, ChunkedAndExpectContinueBodiesReachTheHandler) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  const auto chunked = c.read_response();
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->body, "abcde");

  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("wxyz"));
  const auto final_response = c.read_response();
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->status, 200);
  EXPECT_EQ(final_response->body, "wxyz");
}

TEST_F(HttpServer, MalformedRequestIs400AndCloses) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send("NOT HTTP AT ALL\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"bad_request\""), std::string::npos);
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(HttpServer, Http10WithoutKeepAliveCloses) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(HttpServer, RemoteAddressAndForwardedProto) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/whoami") + get("/whoami", "X-Forwarded-Proto: https\r\n")));
  const auto plain = c.read_response();
  const auto secure = c.read_response();
  ASSERT_TRUE(plain && secure);
  EXPECT_EQ(plain->body, "127.0.0.1 plain");
  EXPECT_EQ(secure->body, "127.0.0.1 secure");
}

TEST_F(HttpServer, TheClientIsWhomATrustedBalancerNamesAndNobodyElseSays) {
  const std::string xff = "X-Forwarded-For: 6.6.6.6, 203.0.113.9\r\n";  // a forged entry, then the balancer's
  {
    TestServer s(test_config(), router_);  // no trusted proxies: the header is ignored
    Client c(s.port());
    ASSERT_TRUE(c.send(get("/client", xff)));
    const auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "127.0.0.1");
  }
  auto config = test_config();
  config.trusted_proxies = {"10.92.1.10", "127.0.0.0/8"};
  TestServer s(config, router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/client", xff) + get("/client") + get("/client", "X-Forwarded-For: 127.0.0.5\r\n")));
  const auto named = c.read_response();
  const auto none = c.read_response();
  const auto only_proxies = c.read_response();
  ASSERT_TRUE(named && none && only_proxies);
  EXPECT_EQ(named->body, "203.0.113.9") << "the rightmost address the balancer appended";
  EXPECT_EQ(none->body, "127.0.0.1") << "no header: the peer";
  EXPECT_EQ(only_proxies->body, "127.0.0.5");
}

TEST_F(HttpServer, IdleAndReadTimeoutsCloseTheConnection) {
  ServerConfig config = test_config();
  config.idle_timeout = 1s;
  config.read_timeout = 1s;
  TestServer s(config, router_);

  Client idle(s.port());
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_TRUE(idle.read_response());
  const auto idle_since = Clock::now();
  EXPECT_TRUE(idle.closed_within(5s));
  EXPECT_GE(Clock::now() - idle_since, 900ms);
  EXPECT_TRUE(idle.unread().empty());

  Client partial(s.port());
  ASSERT_TRUE(partial.send("GET /hello HTTP/1.1\r\nHost: t\r\n"));  // never finished
  const auto partial_since = Clock::now();
  EXPECT_TRUE(partial.closed_within(5s));
  EXPECT_GE(Clock::now() - partial_since, 900ms);
}

TEST_F(HttpServer, CountsInFlightRequests) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/hold")));
  ASSERT_EQ(signals_->hold_started.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(s.lifecycle->in_flight.load(), 1);
  signals_->release_hold = true;
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "released");
  // The count drops once the response is written, which the client may see a moment before.
  for (int i = 0; i < 200 && s.lifecycle->in_flight.load() != 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(s.lifecycle->in_flight.load(), 0);
}

TEST_F(HttpServer, DrainFinishesInFlightRequestsAndRefusesNewOnes) {
  TestServer s(test_config(), router_);  // idle timeout 30 s: only the drain can close the idle connection

  Client idle(s.port());
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_TRUE(idle.read_response());

  Client busy(s.port());
  ASSERT_TRUE(busy.send(get("/slow")));
  ASSERT_EQ(signals_->slow_started.get_future().wait_for(5s), std::future_status::ready);

  s.server->drain();
  EXPECT_TRUE(s.lifecycle->draining.load());

  // New connections are refused once both acceptors have closed (the drain reaches each io_context by a post).
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    int fd = -1;
    const int err = connect_to(s.port(), fd);
    if (err == ECONNREFUSED) {
      refused = true;
    } else {
      if (fd >= 0) ::close(fd);
      std::this_thread::sleep_for(10ms);
    }
  }
  EXPECT_TRUE(refused);

  EXPECT_TRUE(idle.closed_within(2s)) << "an idle keep-alive connection should close at once on drain";

  const auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(busy.closed_within(5s));
}

TEST_F(HttpServer, StaticFileEtagAnd304) {
  TestServer s(test_config(), router_);
  Client c(s.port());
  ASSERT_TRUE(c.send(get("/static/app.css?v=1")));
  const auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "body{margin:0}");
  EXPECT_EQ(first->header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(first->header("Cache-Control"), "public, max-age=31536000, immutable");
  const std::string etag = first->header("ETag");
  ASSERT_FALSE(etag.empty());

  ASSERT_TRUE(c.send(get("/static/app.css", "If-None-Match: " + etag + "\r\n") + get("/static/%2e%2e/secret")));
  const auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 304);
  EXPECT_EQ(second->header("ETag"), etag);
  EXPECT_FALSE(second->has_header("Content-Length"));
  const auto third = c.read_response();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 404);
}

TEST_F(HttpServer, StartReportsWhereItCouldNotListen) {
  ServerConfig config = test_config();
  config.host = "192.0.2.1";  // TEST-NET-1: not an address of this machine
  net::io_context io;
  Server server(config, std::make_shared<Lifecycle>(), {{&io, with_middleware(router_, {})}});
  try {
    server.start();
    FAIL() << "start() should throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("192.0.2.1:0: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace mc::http
