#include "dynamodb/client.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <optional>
#include <random>
#include <vector>

#include "core/metrics.hpp"

namespace mc::dynamodb {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr std::string_view kContentType = "application/x-amz-json-1.0";

// What one attempt ended with: an answer (any status), or no answer (why).
struct Answer {
  int status = 0;
  std::string body;
  std::string failure;  // set when there was no answer
};

class AsioClient final : public Client {
 public:
  AsioClient(net::io_context& io, ClientOptions options)
      : io_(io),
        options_(std::move(options)),
        rng_(std::random_device{}()),
        connections_(metrics::registry().counter("myclothes_dynamodb_connections_total", {})) {
    metrics::registry().describe("myclothes_dynamodb_connections_total",
                                 "Connections opened to DynamoDB (kept alive and reused between requests).");
  }

  Task<Expected<json::object, Error>> call(std::string_view operation, json::object body) override {
    const std::string payload = json::serialize(body);
    const std::string target = fmt::format("{}{}", kTargetPrefix, operation);
    Error last;
    for (int attempt = 0; attempt < std::max(options_.max_attempts, 1); ++attempt) {
      if (attempt > 0) co_await pause(attempt);
      Answer answer = co_await exchange(target, payload);
      if (!answer.failure.empty()) {
        last = Error{Error::Kind::kUnavailable, "", fmt::format("DynamoDB {}: {}", operation, answer.failure), 0, {}};
        continue;
      }
      json::value parsed;
      boost::system::error_code ec;
      parsed = json::parse(answer.body, ec);
      if (answer.status == 200) {
        if (ec || !parsed.is_object()) {
          last = Error{Error::Kind::kUnavailable,
                       "",
                       fmt::format("DynamoDB {}: an answer that is not JSON", operation),
                       200,
                       {}};
          continue;
        }
        co_return std::move(parsed.as_object());
      }
      std::string type;
      std::string message;
      if (!ec && parsed.is_object()) {
        const auto& o = parsed.as_object();
        if (const auto* t = o.if_contains("__type"); t && t->is_string()) type = std::string(t->as_string());
        if (const auto pos = type.rfind('#'); pos != std::string::npos) type.erase(0, pos + 1);
        for (const char* key : {"message", "Message"}) {
          if (const auto* m = o.if_contains(key); m && m->is_string()) message = std::string(m->as_string());
        }
      }
      last = Error{
          Error::Kind::kService, type,
          fmt::format("DynamoDB {}: {} {}{}{}", operation, answer.status, type, message.empty() ? "" : ": ", message),
          answer.status, ec ? json::value{} : std::move(parsed)};
      if (!retryable(answer.status, type)) co_return Unexpected(std::move(last));
      last.kind = Error::Kind::kUnavailable;  // still throttled or failing after every attempt
    }
    co_return Unexpected(std::move(last));
  }

 private:
  struct Connection {
    explicit Connection(net::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
  };

  // Full jitter: random(0, min(cap, base * 2^attempt)).
  Task<void> pause(int attempt) {
    const auto ceiling = std::min<long long>(options_.backoff_cap.count(),
                                             options_.backoff_base.count() * (1LL << std::min(attempt, 20)));
    std::uniform_int_distribution<long long> pick(0, std::max<long long>(ceiling, 0));
    net::steady_timer timer(io_, std::chrono::milliseconds(pick(rng_)));
    co_await timer.async_wait(kTuple);
  }

  Task<std::unique_ptr<Connection>> connect() {
    auto c = std::make_unique<Connection>(io_);
    tcp::resolver resolver(io_);
    auto [rec, results] =
        co_await resolver.async_resolve(options_.endpoint.host, std::to_string(options_.endpoint.port), kTuple);
    if (rec) co_return nullptr;
    c->stream.expires_after(options_.attempt_timeout);
    auto [cec, ep] = co_await c->stream.async_connect(results, kTuple);
    if (cec) co_return nullptr;
    c->stream.socket().set_option(tcp::no_delay(true));
    connections_.inc();
    co_return c;
  }

  // One request and its answer, on a pooled connection when there is one. A pooled connection the server
  // closed while it idled fails at once; that attempt is repeated on a fresh connection (it was not sent).
  Task<Answer> exchange(const std::string& target, const std::string& payload) {
    for (int fresh = 0; fresh < 2; ++fresh) {
      std::unique_ptr<Connection> c;
      const bool pooled = fresh == 0 && !idle_.empty();
      if (pooled) {
        c = std::move(idle_.back());
        idle_.pop_back();
      } else {
        c = co_await connect();
        if (!c)
          co_return Answer{0, "",
                           fmt::format("cannot connect to {}:{}", options_.endpoint.host, options_.endpoint.port)};
      }

      HttpRequest signed_request;
      signed_request.method = "POST";
      signed_request.path = "/";
      signed_request.headers = {{"Host", options_.endpoint.host_header},
                                {"Content-Type", std::string(kContentType)},
                                {"X-Amz-Target", target}};
      signed_request.body = payload;
      const Credentials creds = options_.credentials ? options_.credentials() : Credentials{};
      sign(signed_request, creds, Scope{options_.region, "dynamodb"}, std::chrono::system_clock::now());

      http::request<http::string_body> req{http::verb::post, "/", 11};
      for (const auto& [name, value] : signed_request.headers) req.set(name, value);
      req.keep_alive(true);
      req.body() = payload;
      req.prepare_payload();

      c->stream.expires_after(options_.attempt_timeout);
      auto [wec, written] = co_await http::async_write(c->stream, req, kTuple);
      if (wec) {
        if (pooled) continue;
        co_return Answer{0, "", fmt::format("send: {}", wec.message())};
      }
      http::response<http::string_body> res;
      auto [rec, read] = co_await http::async_read(c->stream, c->buffer, res, kTuple);
      if (rec) {
        // A pooled connection closed by the server before it read anything: try once more on a new one.
        if (pooled && (rec == http::error::end_of_stream || rec == net::error::connection_reset)) continue;
        co_return Answer{0, "", rec == beast::error::timeout ? "timed out" : fmt::format("read: {}", rec.message())};
      }
      Answer answer{static_cast<int>(res.result_int()), std::move(res.body()), ""};
      if (res.keep_alive() && idle_.size() < options_.max_idle_connections) {
        c->stream.expires_never();
        idle_.push_back(std::move(c));
      }
      co_return answer;
    }
    co_return Answer{0, "", "the connection broke"};
  }

  net::io_context& io_;
  ClientOptions options_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::mt19937_64 rng_;
  metrics::Counter& connections_;
};

}  // namespace

bool retryable(int status, std::string_view type) {
  if (status >= 500) return true;
  return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
         type == "RequestLimitExceeded" || type == "TransactionInProgressException" || type == "LimitExceededException";
}

Expected<Endpoint, std::string> parse_endpoint(std::string_view url, std::string_view region) {
  Endpoint e;
  if (url.empty()) {
    return Unexpected(fmt::format(
        "dynamodb.endpoint is empty: the public endpoint (https://dynamodb.{}.amazonaws.com) needs TLS, which this "
        "client does not speak yet; set an http:// endpoint (DynamoDB Local, or a TLS proxy)",
        region));
  }
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    return Unexpected(fmt::format("dynamodb.endpoint {}: https is not supported yet; use an http:// endpoint", url));
  }
  if (!rest.starts_with("http://")) {
    return Unexpected(fmt::format("dynamodb.endpoint {}: expected http://HOST[:PORT]", url));
  }
  rest.remove_prefix(7);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return Unexpected(fmt::format("dynamodb.endpoint {}: expected http://HOST[:PORT] (no path)", url));
  }
  e.host_header = std::string(rest);
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const auto port_text = rest.substr(colon + 1);
    unsigned port = 0;
    const auto [p, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (err != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return Unexpected(fmt::format("dynamodb.endpoint {}: the port is not a number in 1..65535", url));
    }
    e.port = static_cast<std::uint16_t>(port);
    rest = rest.substr(0, colon);
    if (e.port == 80) e.host_header = std::string(rest);
  }
  e.host = std::string(rest);
  return e;
}

std::optional<Credentials> credentials_from_environment(const std::function<const char*(const char*)>& env) {
  const char* id = env("AWS_ACCESS_KEY_ID");
  const char* secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id || !*id || !secret || !*secret) return std::nullopt;
  const char* token = env("AWS_SESSION_TOKEN");
  return Credentials{id, secret, token ? token : ""};
}

std::unique_ptr<Client> make_client(boost::asio::io_context& io, ClientOptions options) {
  return std::make_unique<AsioClient>(io, std::move(options));
}

}  // namespace mc::dynamodb
