#include "web/readiness.hpp"

#include <boost/json.hpp>

namespace mc::web {

http::Response readiness_response(const ReadinessChecks& c, std::string_view instance, std::string_view az) {
  // Any one of them lets the instance answer something: browsing from a replica or from the cache, the carts
  // from Redis. With none of them it could only fail every request, and another instance may do better.
  const bool reaches_data = c.postgres || c.replicas > 0 || c.redis;
  const bool ready = !c.draining && reaches_data;
  const std::string_view status = !ready ? "not_ready" : (c.postgres && c.redis ? "ready" : "degraded");
  boost::json::object body{{"status", status},
                           {"checks", boost::json::object{{"postgres", c.postgres ? "up" : "down"},
                                                          {"replicas", c.replicas},
                                                          {"redis", c.redis ? "up" : "down"},
                                                          {"draining", c.draining}}},
                           {"instance", instance},
                           {"az", az}};
  return http::Response::json(ready ? 200 : 503, boost::json::serialize(body));
}

}  // namespace mc::web
