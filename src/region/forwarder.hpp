#pragma once

// The region's front door on this machine: a TCP forwarder that accepts shoppers on 127.0.0.1:PORT in the
// machine's own network namespace and opens each outgoing connection from inside the region's "internet"
// namespace to the load balancer, so that traffic enters the region through the internet host, as on AWS.
//
// Where the outgoing sockets come from. A socket belongs for its whole life to the network namespace of
// the thread that created it, whichever thread later connects, reads or writes it. The forwarder binds its
// listener on the caller's thread (so in the caller's namespace), then starts one small thread of its own
// that enters `netns` (setns with CLONE_NEWNET is per thread) and does nothing but create the unconnected
// outgoing sockets, one ::socket() call per new connection; everything else (connect, the relay) runs on
// the caller's io_context as usual. Entering the namespace with the whole process instead (bind, setns,
// then start the I/O threads) would work for `region forward` alone but not for a library function: the
// caller's thread would stay in the region's namespace afterwards, and in a program that already has
// threads (the tests; anything that opens a forwarder next to other work) every later socket of that
// thread would silently land there. The price of the dedicated thread is one hop to it and back per new
// connection (microseconds, next to the connect itself); the relay's bytes never cross it.
//
// State: the listener, the connections being relayed (for stop()), their count against max_connections,
// and the counters (accepted, refused over the limit, failed connects, bytes each way).

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/expected.hpp"

namespace mc::region {

struct ForwardOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  // 0: the kernel picks (tests); see Forwarder::port()
  std::string to_host;            // the load balancer's address inside the region (an IP address, or a name
                                  // this machine resolves, once, at open)
  std::uint16_t to_port = 0;
  // Path of a network namespace (e.g. /run/netns/mc-r1-internet) the outgoing connections come from;
  // empty: the current one.
  std::string netns;
  // Beyond it, a new client is accepted and closed at once (and counted), never left hanging in the backlog.
  int max_connections = 20000;
  std::chrono::milliseconds connect_timeout{3000};
  // Each upstream connection starts with a PROXY protocol v2 header naming the client and the address it
  // connected to, so that the load balancer (HAProxy `accept-proxy`) knows who the shopper is.
  bool proxy_protocol = false;
};

// The PROXY protocol v2 header for a TCP connection from `client` to `to` (IPv4 or IPv6; a mix is sent as a
// LOCAL header, which names nobody).
std::string proxy_v2_header(const boost::asio::ip::tcp::endpoint& client, const boost::asio::ip::tcp::endpoint& to);

// Relays TCP connections from a listener in the namespace the process starts in to `to_host:to_port`,
// connected from `netns`. Each connection is two copies (16 KiB buffers), one each way; an end of stream
// from one side is passed on as a half-close (shutdown of sending) to the other, and the connection ends
// when both ways are done or either fails. TCP_NODELAY on both sockets; no idle timeout of its own (the
// load balancer has them). The io_context may be run by any number of threads; it must outlive the
// Forwarder.
class Forwarder {
 public:
  // Binds and listens (in the current namespace), then, when `netns` is set, starts the thread that
  // creates the outgoing sockets inside it. Error: one line naming what failed and what to do.
  static Expected<std::unique_ptr<Forwarder>, std::string> open(boost::asio::io_context& io, const ForwardOptions& o);

  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  std::uint16_t port() const;  // the listening port
  void start();                // begins accepting (co_spawn on io)
  void stop();                 // closes the listener and every relayed connection; thread-safe

  struct Counters {
    std::uint64_t accepted;          // every connection accepted, the refused ones included
    std::uint64_t refused;           // closed at once: max_connections were open
    std::uint64_t connect_failures;  // the upstream refused, did not answer within connect_timeout, ...
    std::uint64_t bytes_up;          // client -> upstream
    std::uint64_t bytes_down;        // upstream -> client
    int open;                        // connections being relayed (or connecting) right now
  };
  Counters counters() const;

  // Why the last outgoing connection failed ("" when none has), e.g. "connect to 10.92.1.10:8080:
  // Connection refused"; for a caller that reports what connect_failures counts.
  std::string last_connect_error() const;

 private:
  struct Impl;
  explicit Forwarder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The process entry point of `myclothes region forward`: opens, then runs `threads` I/O threads until SIGTERM
// or SIGINT. Prints "forward: 127.0.0.1:8080 -> 10.92.1.10:8080 (from namespace /run/netns/...)" once
// listening; errors on stderr (also, at most once a second, outgoing connections that failed). Returns the
// exit status: 0 after a signal, 1 when it cannot open.
int run_forwarder(const ForwardOptions& o, int threads = 1);

}  // namespace mc::region
