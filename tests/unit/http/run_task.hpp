#pragma once

// Runs a handler's coroutine to completion on a private io_context, so unit tests can call handlers directly.

#include <string>
#include <utility>
#include <vector>

#include "http/message.hpp"
#include "unit/run_task.hpp"

namespace mc::http::testing {

using mc::testing::run;

inline Response call(const Handler& handler, Request& req) { return run(handler(req)); }

inline Request request(Method method, std::string target, std::vector<Field> headers = {}) {
  Request req;
  req.method = method;
  req.target = std::move(target);
  req.headers = std::move(headers);
  return req;
}

}  // namespace mc::http::testing
