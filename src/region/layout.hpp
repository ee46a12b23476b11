#pragma once

// Where the data tier's servers are: deploy/local/services decides it (replica n on pg-port + n, its files
// in DATA/replica-n) and says it with `services layout`, one `KIND NAME PORT DIR` line per server. The
// region reads that answer instead of working the convention out a second time.
//
// The single tier: `primary`, `replica` lines and one `redis`. The replicated tier (--data-tier replicated):
// `monitor` (pg_auto_failover's), `node` (the HA pair db-a, db-b: either may be the primary), `replica`
// (read replicas: plain hot standbys of whichever of the pair is primary), three `redis` and three `sentinel`.

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc::region {

// One server of the data tier. The port is as the script computed it: it may lie past 65535 when
// --pg-port leaves no room for the replicas (the region says so).
struct DataServer {
  std::string name;  // "primary", "replica-1" ..., "redis"
  int port = 0;
  std::string dir;                 // its files
  std::string host = "127.0.0.1";  // its address (netns mode: its host's, set by the region)
};

struct DataLayout {
  bool replicated = false;
  DataServer primary;                // single: the primary
  std::vector<DataServer> replicas;  // in order: replica 1 first
  DataServer redis;                  // single: the Redis; replicated: the first node (redis-a)
  // replicated
  DataServer monitor;
  std::vector<DataServer> nodes;        // db-a, db-b
  std::vector<DataServer> redis_nodes;  // redis-a, redis-b, redis-c
  std::vector<DataServer> sentinels;    // sentinel-a ... (each on its zone's Redis host)
};

// Reads the output of `services layout`; an error names the line it cannot read.
Expected<DataLayout, std::string> parse_layout(std::string_view text);

}  // namespace mc::region
