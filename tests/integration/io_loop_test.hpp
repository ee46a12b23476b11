#pragma once

// A base for integration tests that drive the project's asynchronous pieces by hand: an io_context they
// own, run until a condition holds or a coroutine finishes (bounded, so a bug fails instead of hanging), and
// the test services' Redis as script/test exports it.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/config.hpp"
#include "core/task.hpp"

namespace mc::testing {

class IoLoopTest : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  // Runs handlers until `done()` holds or `limit` passes.
  void pump(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    io_.restart();
    const auto start = Clock::now();
    while (!done() && Clock::now() - start < limit) io_.run_one_for(std::chrono::milliseconds(20));
  }

  // Runs one coroutine to its end (co_spawn wants default-constructible results; Expected is not).
  template <class T>
  T run(Task<T> task, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::optional<T> out;
    auto wrapper = [&out](Task<T> t) -> Task<void> { out.emplace(co_await std::move(t)); };
    run(wrapper(std::move(task)), limit);
    return std::move(*out);
  }
  void run(Task<void> task, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto f = boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future);
    pump([&] { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, limit);
    if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      throw std::runtime_error("the coroutine did not finish in time");
    }
    f.get();
  }

  // After the objects under test are gone: whatever they left on the loop gets a moment to finish.
  void drain() {
    io_.restart();
    io_.run_for(std::chrono::seconds(1));
  }

  // The test Redis (MYCLOTHES_REDIS_HOST/PORT); nullopt after recording a failure that says how to run.
  static std::optional<RedisConfig> test_redis() {
    const char* host = std::getenv("MYCLOTHES_REDIS_HOST");
    const char* port = std::getenv("MYCLOTHES_REDIS_PORT");
    if (!host || !port) {
      ADD_FAILURE() << "MYCLOTHES_REDIS_HOST/PORT are not set: run the integration tests through script/test";
      return std::nullopt;
    }
    RedisConfig c;
    c.host = host;
    c.port = static_cast<std::uint16_t>(std::stoi(port));
    return c;
  }

  boost::asio::io_context io_;
};

}  // namespace mc::testing
