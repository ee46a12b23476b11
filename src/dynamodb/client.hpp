#pragma once

// A client of DynamoDB's JSON protocol (application/x-amz-json-1.0, one POST per operation, X-Amz-Target
// names it) over HTTP/1.1 on Asio: keep-alive connections pooled per I/O thread, a deadline per attempt,
// and retries as AWS's SDKs make them — on throttling, on 5xx and on a connection that broke — with
// exponential backoff and full jitter. Every request is signed (Signature Version 4, sigv4.hpp). Not
// thread-safe: one per I/O thread, like the Redis client.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/task.hpp"
#include "dynamodb/sigv4.hpp"

namespace boost::asio {
class io_context;
}

namespace mc::dynamodb {

// Where requests go: "http://127.0.0.1:25490" (DynamoDB Local) or, empty, the region's public endpoint.
struct Endpoint {
  std::string host;
  std::uint16_t port = 80;
  bool tls = false;
  std::string host_header;  // what Host says (and is signed): host, or host:port for a port not the scheme's
};
Expected<Endpoint, std::string> parse_endpoint(std::string_view url, std::string_view region);

// Where the signing keys come from: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, as every
// AWS SDK reads them; nullopt when unset. `env` is getenv (tests pass their own).
std::optional<Credentials> credentials_from_environment(const std::function<const char*(const char*)>& env);

struct ClientOptions {
  Endpoint endpoint;
  std::string region = "us-east-1";
  std::chrono::milliseconds attempt_timeout{1000};  // connect, send and read of one attempt
  int max_attempts = 3;                             // AWS's SDKs' standard mode
  std::chrono::milliseconds backoff_base{25};       // attempt n waits random(0, min(cap, base * 2^n))
  std::chrono::milliseconds backoff_cap{1000};
  std::size_t max_idle_connections = 8;
  // The keys a request is signed with, asked for each request (so rotated credentials are picked up).
  std::function<Credentials()> credentials;
};

// Why a call failed. kService: DynamoDB answered with an error of the request itself (its `__type`, e.g.
// ConditionalCheckFailedException, TransactionCanceledException; not retried). kUnavailable: no answer, or
// still throttled or failing after every attempt.
struct Error {
  enum class Kind { kService, kUnavailable };
  Kind kind = Kind::kUnavailable;
  std::string type;  // the exception's short name ("ConditionalCheckFailedException"), empty for kUnavailable
  std::string message;
  int status = 0;           // the HTTP status of the last answer, 0 when there was none
  boost::json::value body;  // the whole error answer (TransactionCanceledException carries its reasons)
};

class Client {
 public:
  virtual ~Client() = default;
  // One operation ("GetItem", "UpdateItem", "TransactWriteItems" …) with its request body; the answer's body.
  virtual Task<Expected<boost::json::object, Error>> call(std::string_view operation, boost::json::object body) = 0;
};

std::unique_ptr<Client> make_client(boost::asio::io_context& io, ClientOptions options);

// True for an answer worth retrying: throttling (its __type), or a server error (5xx).
bool retryable(int status, std::string_view type);

}  // namespace mc::dynamodb
