#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace mc::http {

// Shared between the server and the handlers that report readiness.
struct Lifecycle {
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> in_flight{0};  // requests being handled right now
};

// Wraps a router with what every response needs: request id, X-Instance-Id / X-AZ / X-Request-Id,
// security headers, metrics (myclothes_http_requests_total{route,method,status} and
// myclothes_http_request_duration_seconds{route}), 404/405 as API error JSON under /api/ (HTML elsewhere
// via `not_found_html`), and a catch-all that turns an escaped exception into a logged 500 without details.
struct MiddlewareOptions {
  std::string instance_id;
  std::string az;
  std::function<Response(const Request&)> not_found_html;  // may be empty: plain text then
  // A dependency outage (core::Unavailable) outside /api/: the store's page (503; Retry-After is added) for
  // the outage's code (empty: the general one; see Unavailable::code()).
  std::function<Response(const Request&, std::string_view code)> unavailable_html;  // may be empty: plain text
  // A request whose address or form holds text that is not UTF-8, outside /api/: the store's page (400).
  std::function<Response(const Request&)> bad_text_html;  // may be empty: plain text then
};
Handler with_middleware(std::shared_ptr<const Router> router, MiddlewareOptions options);

// Files below `root` under the URL prefix the route gives (the router's "/*" tail is path_params.back()).
// Served from memory with a strong ETag, If-None-Match -> 304, Cache-Control for a year, and a content type by
// extension. Refuses "..", hidden files and anything outside root.
Handler static_files(std::string root);

// The HTTP/1.1 server: one SO_REUSEPORT acceptor on every worker's io_context (one io_context per
// core), keep-alive and pipelining, header/body limits, read and idle timeouts.
class Server {
 public:
  struct Worker {
    boost::asio::io_context* io;
    Handler handler;
  };

  Server(const ServerConfig& config, std::shared_ptr<Lifecycle> lifecycle, std::vector<Worker> workers);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every acceptor and starts accepting. Throws std::runtime_error with a readable message
  // (e.g. "127.0.0.1:8080: address already in use"). With port 0 the kernel picks one: see port().
  void start();

  // The bound port.
  std::uint16_t port() const;

  // Begins draining: readiness goes false, acceptors close, keep-alive connections close after their
  // current response, idle connections close at once. Thread-safe.
  void drain();

  // Stops accepting and closes every connection at once.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::http
