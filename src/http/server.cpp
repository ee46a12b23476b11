#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "http/client_address.hpp"
#include "http/detail/text.hpp"
#include "http/detail/wire.hpp"

namespace mc::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// Expected outcomes of I/O (timeouts, resets, a client going away) are values, not exceptions.
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr std::size_t kReadChunk = std::size_t{8} * 1024;
// After a final response on a connection we close, unread request bytes would make the kernel send a reset
// that can destroy the response in flight; read and discard for a bounded while first (Apache/nginx
// "lingering close").
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::size_t kLingerMaxBytes = std::size_t{1024} * 1024;
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct Settings {
  std::chrono::seconds read_timeout;
  std::chrono::seconds idle_timeout;
  std::chrono::seconds write_timeout;
  std::uint32_t header_limit;
  std::uint64_t body_limit;
  std::string instance_id;
  std::string az;
  TrustedProxies trusted;
};

Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

// Parses straight into the connection's mc::http::Request, which is reused from one request to the next so
// its strings keep their capacity: no Beast header container, no second copy.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  explicit RequestParser(Request& req) : req_(req) {
    req_.method = Method::kGet;
    req_.target.clear();
    req_.body.clear();
    req_.request_id.clear();
    req_.secure = false;
    req_.path_params.clear();
  }

  int version() const { return version_; }
  const std::string& forwarded() const { return forwarded_; }  // every X-Forwarded-For, joined by commas
  bool expects_continue() const { return expect_continue_; }

  // The limit on the whole header, request line included. (Beast applies its header_limit to the request
  // line and to the fields separately, so a long target and long fields would each get the whole limit.)
  void limit_header(std::uint32_t bytes) {
    limit_ = bytes;
    header_limit(bytes);
  }

 private:
  void on_request_impl(bhttp::verb method, beast::string_view method_string, beast::string_view target, int version,
                       beast::error_code& ec) override {
    req_.method = to_method(method);
    req_.target.assign(target.data(), target.size());
    version_ = version;
    const std::size_t line = method_string.size() + target.size() + sizeof(" HTTP/1.1\r\n");  // and the space
    if (line >= limit_) {
      ec = bhttp::error::header_limit;
      return;
    }
    header_limit(static_cast<std::uint32_t>(limit_ - line));
  }

  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}

  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code&) override {
    if (fields_ < req_.headers.size()) {
      req_.headers[fields_].name.assign(name_string.data(), name_string.size());
      req_.headers[fields_].value.assign(value.data(), value.size());
    } else {
      req_.headers.push_back({std::string(name_string), std::string(value)});
    }
    ++fields_;
    if (name == bhttp::field::host) ++hosts_;
    if (name == bhttp::field::expect) {
      expect_continue_ = detail::iequals(detail::trim(value), "100-continue");
    } else if (detail::iequals(name_string, "X-Forwarded-For")) {
      if (!forwarded_.empty()) forwarded_ += ',';
      forwarded_.append(value.data(), value.size());
    } else if (detail::iequals(name_string, "X-Forwarded-Proto")) {
      // The balancer in front terminates TLS; only the first hop's word counts.
      const std::string_view first = value.substr(0, value.find(','));
      req_.secure = detail::iequals(detail::trim(first), "https");
    }
  }

  void on_header_impl(beast::error_code& ec) override {
    req_.headers.resize(fields_);
    // RFC 9112 §3.2: an HTTP/1.1 request without a Host field, or with more than one, is answered 400.
    if (version_ >= 11 && hosts_ != 1) {
      bad_host_ = true;
      ec = bhttp::error::bad_field;
    }
  }

 public:
  bool bad_host() const { return bad_host_; }

 private:
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
    // The parser has already refused a Content-Length above the body limit.
    if (length) req_.body.reserve(static_cast<std::size_t>(*length));
  }

  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }

  void on_finish_impl(beast::error_code&) override {}

  Request& req_;
  std::size_t fields_ = 0;
  std::size_t hosts_ = 0;
  std::uint32_t limit_ = 8192;
  std::string forwarded_;
  int version_ = 11;
  bool expect_continue_ = false;
  bool bad_host_ = false;
};

struct Connection;

// One per Worker, touched only on its io_context's thread (drain and stop post to it). Coroutines hold it by
// shared_ptr, so it outlives the Server if an io_context still has work for it.
struct WorkerState {
  WorkerState(net::io_context& context, Handler h, std::shared_ptr<Lifecycle> lc, std::shared_ptr<const Settings> s)
      : io(context), handler(std::move(h)), lifecycle(std::move(lc)), settings(std::move(s)), acceptor(context) {}

  bool draining_now() const { return draining || lifecycle->draining.load(std::memory_order_relaxed); }

  net::io_context& io;
  Handler handler;
  std::shared_ptr<Lifecycle> lifecycle;
  std::shared_ptr<const Settings> settings;
  tcp::acceptor acceptor;
  Connection* connections = nullptr;  // intrusive list of open connections
  bool draining = false;
  bool stopped = false;
};

struct Connection {
  Connection(WorkerState& w, tcp::socket socket) : worker(w), stream(std::move(socket)) {
    next = worker.connections;
    if (next != nullptr) next->prev = this;
    worker.connections = this;
  }
  ~Connection() {
    if (prev != nullptr) prev->next = next;
    if (next != nullptr) next->prev = prev;
    if (worker.connections == this) worker.connections = next;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  WorkerState& worker;
  beast::tcp_stream stream;
  bool idle = false;  // waiting for the first byte of the next request
  Connection* prev = nullptr;
  Connection* next = nullptr;
};

class InFlight {
 public:
  explicit InFlight(Lifecycle& lifecycle) : lifecycle_(lifecycle) {
    lifecycle_.in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlight() { lifecycle_.in_flight.fetch_sub(1, std::memory_order_relaxed); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Lifecycle& lifecycle_;
};

// Answers the server gives by itself (the request never reached a handler) still carry the headers every
// response has.
Response server_error(const Settings& settings, int status, std::string_view code, std::string_view message) {
  Response r = Response::error(status, code, message);
  r.headers.push_back({"X-Request-Id", next_request_id()});
  r.headers.push_back({"X-Instance-Id", settings.instance_id});
  r.headers.push_back({"X-AZ", settings.az});
  for (const auto& h : detail::kSecurityHeaders) r.headers.push_back({std::string(h.name), std::string(h.value)});
  return r;
}

// The status for a request the parser refused.
int refusal_status(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return 400;
}

Task<void> write_response(Connection& conn, std::string& head, const Response& response, bool send_body,
                          beast::error_code& ec) {
  conn.stream.expires_after(conn.worker.settings->write_timeout);
  if (send_body) {
    const std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(response.body)};
    std::tie(ec, std::ignore) = co_await net::async_write(conn.stream, buffers, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await net::async_write(conn.stream, net::buffer(head), kTuple);
  }
}

// Half-closes, then discards what the client still sends (bounded in time and bytes), then closes.
Task<void> lingering_close(Connection& conn, beast::flat_buffer& buffer) {
  beast::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!ec && !conn.worker.stopped) {
    conn.stream.expires_after(kLingerTimeout);
    std::size_t discarded = 0;
    while (discarded < kLingerMaxBytes) {
      buffer.consume(buffer.size());
      std::size_t n = 0;
      std::tie(ec, n) = co_await conn.stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
      if (ec) break;
      discarded += n;
    }
  }
  conn.stream.close();
}

Task<void> serve_connection(std::shared_ptr<WorkerState> w, tcp::socket socket) {
  Connection conn(*w, std::move(socket));
  const Settings& settings = *w->settings;
  beast::error_code ec;
  conn.stream.socket().set_option(tcp::no_delay(true), ec);

  Request req;
  if (const auto remote = conn.stream.socket().remote_endpoint(ec); !ec)
    req.remote_address = remote.address().to_string();
  beast::flat_buffer buffer;
  std::string head;
  bool linger = false;

  for (;;) {
    RequestParser parser(req);
    parser.limit_header(settings.header_limit);
    parser.body_limit(settings.body_limit);
    parser.eager(true);
    // Beast's read loop (parse what is buffered, read only when the parser needs more), written out so a
    // request that is already in the buffer is parsed without a trip through the scheduler.
    bool refused = false;  // the parser rejected the request: answer, then close
    bool read_deadline_set = false;
    bool continue_sent = false;
    for (;;) {
      if (buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (!ec && parser.is_done()) break;
        if (ec && ec != bhttp::error::need_more) {
          refused = true;
          break;
        }
        ec = {};
        if (used > 0 && buffer.size() > 0) continue;
      }
      if (!parser.got_some()) {
        // Between requests: the idle timeout applies, and a drain may close the connection right here.
        if (w->stopped || w->draining_now()) {
          ec = net::error::operation_aborted;
          break;
        }
        conn.idle = true;
        conn.stream.expires_after(settings.idle_timeout);
      } else {
        if (!read_deadline_set) {
          conn.stream.expires_after(settings.read_timeout);
          read_deadline_set = true;
        }
        if (parser.is_header_done() && parser.expects_continue() && !continue_sent) {
          continue_sent = true;
          std::tie(ec, std::ignore) = co_await net::async_write(conn.stream, net::buffer(kContinue), kTuple);
          if (ec) break;
        }
      }
      std::size_t n = 0;
      std::tie(ec, n) = co_await conn.stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
      conn.idle = false;
      if (ec) break;  // the client went away (mid-request or not) or timed out: nobody to answer
      buffer.commit(n);
    }
    if (ec) {
      if (const int status = refused ? refusal_status(ec) : 0; status != 0) {
        const Response refusal =
            status == 431
                ? server_error(settings, 431, "headers_too_large", "The request's header fields are too large.")
            : status == 413 ? server_error(settings, 413, "body_too_large", "The request body is too large.")
            : parser.bad_host()
                ? server_error(settings, 400, "bad_request", "An HTTP/1.1 request needs exactly one Host header field.")
                : server_error(settings, 400, "bad_request", "Malformed HTTP request.");
        const auto framing = detail::write_head(head, refusal, {false, false, false});
        co_await write_response(conn, head, refusal, framing.send_body, ec);
        linger = !ec;
      }
      break;
    }

    req.client_address = client_address(req.remote_address, parser.forwarded(), settings.trusted);
    bool keep_alive = false;
    {
      InFlight in_flight(*w->lifecycle);
      Response response;
      std::exception_ptr failure;
      try {
        response = co_await w->handler(req);
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure) {
        // The middleware catches what handlers throw; this is the last line for a handler without it.
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          spdlog::error("{} {}: unhandled exception: {}", to_string(req.method), req.path(), e.what());
        } catch (...) {
          spdlog::error("{} {}: unhandled exception", to_string(req.method), req.path());
        }
        response = server_error(settings, 500, "internal_error", "The server could not answer this request.");
      }
      const detail::HeadOptions options{
          req.method == Method::kHead, parser.keep_alive() && !w->stopped && !w->draining_now(), parser.version() < 11};
      const auto framing = detail::write_head(head, response, options);
      co_await write_response(conn, head, response, framing.send_body, ec);
      keep_alive = framing.keep_alive;
    }
    if (ec) break;
    if (!keep_alive) {
      linger = true;
      break;
    }
  }

  if (linger) {
    co_await lingering_close(conn, buffer);
  } else {
    conn.stream.close();
  }
}

Task<void> accept_loop(std::shared_ptr<WorkerState> w) {
  net::steady_timer backoff(w->io);
  for (;;) {
    auto [ec, socket] = co_await w->acceptor.async_accept(kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !w->acceptor.is_open()) co_return;
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory) {
        // Out of file descriptors: retrying at once would spin; let connections finish first.
        spdlog::warn("accept: {}; pausing {} ms", ec.message(), kAcceptBackoff.count());
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(kTuple);
      }
      continue;
    }
    if (w->draining || w->stopped) {
      socket.close(ec);
      continue;
    }
    net::co_spawn(w->io, serve_connection(w, std::move(socket)), [](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection failed: {}", ex.what());
      } catch (...) {
        spdlog::error("connection failed");
      }
    });
  }
}

std::string lower_first(std::string s) {
  if (!s.empty()) s.front() = detail::ascii_lower(s.front());
  return s;
}

tcp::endpoint resolve(const std::string& host, std::uint16_t port) {
  std::string name = host;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  beast::error_code ec;
  const auto address = net::ip::make_address(name, ec);
  if (!ec) return {address, port};
  net::io_context io;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(name, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(host + ":" + std::to_string(port) + ": " +
                             (ec ? lower_first(ec.message()) : std::string("no address")));
  }
  return results.begin()->endpoint();
}

void open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  // Every worker listens on the same port; the kernel spreads new connections over them.
  acceptor.set_option(ReusePort(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
}

}  // namespace

static TrustedProxies trusted_proxies(const std::vector<std::string>& entries) {
  auto parsed = TrustedProxies::parse(entries);
  if (!parsed) throw std::invalid_argument("server.trusted_proxies: " + parsed.error());
  return std::move(*parsed);
}

struct Server::Impl {
  ServerConfig config;
  std::shared_ptr<Lifecycle> lifecycle;
  std::vector<std::shared_ptr<WorkerState>> workers;
  std::atomic<std::uint16_t> port{0};
  bool started = false;
};

Server::Server(const ServerConfig& config, std::shared_ptr<Lifecycle> lifecycle, std::vector<Worker> workers)
    : impl_(std::make_unique<Impl>()) {
  if (!lifecycle) throw std::invalid_argument("Server: lifecycle is required");
  if (workers.empty()) throw std::invalid_argument("Server: at least one worker is required");
  impl_->config = config;
  impl_->lifecycle = std::move(lifecycle);
  auto settings = std::make_shared<const Settings>(Settings{
      config.read_timeout,
      config.idle_timeout,
      config.read_timeout,
      static_cast<std::uint32_t>(
          std::min<std::size_t>(config.header_limit_bytes, std::numeric_limits<std::uint32_t>::max())),
      config.body_limit_bytes,
      config.instance_id,
      config.az,
      trusted_proxies(config.trusted_proxies),
  });
  for (auto& w : workers) {
    if (w.io == nullptr) throw std::invalid_argument("Server: worker without io_context");
    impl_->workers.push_back(std::make_shared<WorkerState>(*w.io, std::move(w.handler), impl_->lifecycle, settings));
  }
}

Server::~Server() = default;

void Server::start() {
  if (impl_->started) throw std::logic_error("Server::start called twice");
  const auto& config = impl_->config;
  tcp::endpoint endpoint = resolve(config.host, config.port);
  try {
    for (auto& w : impl_->workers) {
      open_acceptor(w->acceptor, endpoint);
      // With port 0 the first bind picks the port; the others join it.
      if (endpoint.port() == 0) endpoint.port(w->acceptor.local_endpoint().port());
    }
  } catch (const boost::system::system_error& e) {
    for (auto& w : impl_->workers) {
      beast::error_code ignored;
      w->acceptor.close(ignored);
    }
    throw std::runtime_error(config.host + ":" + std::to_string(config.port) + ": " + lower_first(e.code().message()));
  }
  impl_->port.store(endpoint.port());
  impl_->started = true;
  for (auto& w : impl_->workers) {
    net::co_spawn(w->io, accept_loop(w), [](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("accept loop failed: {}", ex.what());
      } catch (...) {
        spdlog::error("accept loop failed");
      }
    });
  }
}

std::uint16_t Server::port() const { return impl_->port.load(); }

void Server::drain() {
  impl_->lifecycle->draining.store(true);
  for (auto& w : impl_->workers) {
    net::post(w->io, [w] {
      w->draining = true;
      beast::error_code ignored;
      w->acceptor.close(ignored);
      // Busy connections notice the drain when they answer (Connection: close); idle ones go now.
      for (Connection* c = w->connections; c != nullptr; c = c->next) {
        if (c->idle) c->stream.close();
      }
    });
  }
}

void Server::stop() {
  impl_->lifecycle->draining.store(true);
  for (auto& w : impl_->workers) {
    net::post(w->io, [w] {
      w->draining = true;
      w->stopped = true;
      beast::error_code ignored;
      w->acceptor.close(ignored);
      for (Connection* c = w->connections; c != nullptr; c = c->next) c->stream.close();
    });
  }
}

}  // namespace mc::http
