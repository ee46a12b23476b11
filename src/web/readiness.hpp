#pragma once

// What /readyz answers (ADR 15): whether THIS instance can serve, not whether every dependency the whole fleet
// shares is perfect. The load balancer takes an instance out on 503; if a shared dependency's outage made every
// instance say 503 the fleet would empty at once and serve nothing, though each instance could still answer
// most requests. So an instance that reaches some of its data says 200 "degraded" and names what is down.

#include <cstddef>
#include <string_view>

#include "http/message.hpp"

namespace mc::web {

// What an instance knows about itself and its dependencies at one readiness check.
struct ReadinessChecks {
  bool draining = false;
  bool postgres = false;     // the primary answered a ping
  std::size_t replicas = 0;  // replicas in rotation (reachable and not lagging)
  bool redis = false;        // this thread's Redis client is connected (false: down, or no Redis configured)
};

// 503 "not_ready" while draining, or when no data can be reached at all (no primary, no replica in rotation,
// no Redis); otherwise 200: "ready" with the primary and Redis up, "degraded" without one of them (writes
// wait for the primary; without Redis reads skip the cache).
http::Response readiness_response(const ReadinessChecks& checks, std::string_view instance, std::string_view az);

}  // namespace mc::web
