#pragma once

// One Redis command on a connection of its own, blocking, bounded in time: what an operator's tool asks
// (the region's once-a-second look at the Redis nodes and what each Sentinel believes). Not for the store's
// requests, which use the asynchronous client (client.hpp) on their I/O thread.

#include <chrono>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "redis/client.hpp"

namespace mc::redis {

// Connects to host:port within `timeout`, sends `args`, and waits at most `timeout` for the reply. An error
// reply is a Reply of type kError; the error string says why nothing came back (refused, timed out ...).
Expected<Reply, std::string> blocking_command(const std::string& host, int port, const std::vector<std::string>& args,
                                              std::chrono::milliseconds timeout);

}  // namespace mc::redis
