#pragma once

// Runs a coroutine to completion on a private io_context, so unit tests can call Task-returning code
// directly (for code that does no I/O, or whose I/O is faked).

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

#include "core/task.hpp"

namespace mc::testing {

template <class T>
T run(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  // The result is kept by a wrapper, so T need not be default-constructible (e.g. Expected<T, E>).
  auto keep = [&result](Task<T> t) -> Task<void> { result.emplace(co_await std::move(t)); };
  boost::asio::co_spawn(io, keep(std::move(task)), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run(Task<void> task) {
  boost::asio::io_context io;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
}

}  // namespace mc::testing
