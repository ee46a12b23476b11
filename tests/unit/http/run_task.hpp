#pragma once

// Runs a handler's coroutine to completion on a private io_context, so unit tests can call handlers directly.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

#include "http/message.hpp"

namespace mc::http::testing {

template <class T>
T run(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline Response call(const Handler& handler, Request& req) { return run(handler(req)); }

inline Request request(Method method, std::string target, std::vector<Field> headers = {}) {
  Request req;
  req.method = method;
  req.target = std::move(target);
  req.headers = std::move(headers);
  return req;
}

}  // namespace mc::http::testing
