#pragma once

// Internal to src/db: what a connection string says about where to connect, as plain values that unit tests
// call directly. connection.cpp uses it to open a connection one host at a time.
//
// Why one host at a time: libpq accepts several hosts (`host=A,B port=P,Q`) and PQconnectPoll moves to the
// next one when a host refuses, fails to authenticate or does not match target_session_attrs. But libpq's
// own connect_timeout is ignored by PQconnectPoll (its documentation says so): a host that never answers (a
// partitioned zone drops the SYN) would hold the whole attempt until the kernel gives up, minutes later, and
// the next host would never be tried. So the asynchronous path splits the list and gives each host its own
// deadline (DbConfig::connect_timeout).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mc::db::detail {

// One server to try. An empty field is not overridden: the connection string's own value applies.
struct HostTarget {
  std::string host;
  std::string hostaddr;
  std::string port;

  // "host:port" for logs ("?" for what the connection string leaves to libpq's defaults).
  std::string label() const;
};

// How to open a connection from a connection string (key=value or URI form).
struct ConnectPlan {
  // The hosts in the order libpq would try them; never empty. A conninfo that names one host, none, or lists
  // libpq would refuse (a port list of another length, an empty entry) gives one target with empty fields:
  // libpq then reads (or rejects) the connection string as it is.
  std::vector<HostTarget> hosts;
  std::string options;  // the connection string's own `options` ("" when none)
};
ConnectPlan plan_connection(const std::string& conninfo);

// The `options` connection parameter for a session: `-c statement_timeout=N` (N in ms, left out when 0), then
// the connection string's own `options` (`existing`), so that a statement_timeout set there wins.
std::string session_options(std::string_view existing, std::chrono::milliseconds statement_timeout);

}  // namespace mc::db::detail
