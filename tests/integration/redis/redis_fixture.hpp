#pragma once

// A fixture for tests against the live Redis that script/test starts (MYCLOTHES_REDIS_HOST/PORT): clients
// on a private io_context, and helpers that run coroutines on it with a bound on time.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "redis/client.hpp"

namespace mc::redis::testing {

namespace net = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* host = std::getenv("MYCLOTHES_REDIS_HOST");
    const char* port = std::getenv("MYCLOTHES_REDIS_PORT");
    ASSERT_TRUE(host && port) << "MYCLOTHES_REDIS_HOST/PORT are not set: run this test through script/test, "
                                 "which starts Redis and exports them";
    config_.host = host;
    config_.port = static_cast<std::uint16_t>(std::stoi(port));
    config_.command_timeout = 300ms;
    prefix_ = "test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  }

  void TearDown() override {
    for (auto& c : clients_) c->stop();
    clients_.clear();
    io_.restart();
    const auto start = Clock::now();
    io_.run_for(2s);
    EXPECT_LT(Clock::now() - start, 1s) << "work was still pending after the clients stopped";
  }

  std::shared_ptr<Client> client(RedisConfig config) {
    auto c = make_client(io_, config);
    c->start();
    clients_.push_back(c);
    return c;
  }
  std::shared_ptr<Client> client() { return client(config_); }

  // Runs one coroutine to completion (co_spawn wants default-constructible results; Expected is not).
  template <class T>
  T run(Task<T> task, std::chrono::seconds limit = 10s) {
    std::optional<T> out;
    auto wrapper = [&out](Task<T> t) -> Task<void> { out.emplace(co_await std::move(t)); };
    auto f = net::co_spawn(io_, wrapper(std::move(task)), net::use_future);
    io_.restart();
    const auto start = Clock::now();
    while (f.wait_for(0s) != std::future_status::ready && Clock::now() - start < limit) io_.run_for(10ms);
    if (f.wait_for(0s) != std::future_status::ready) throw std::runtime_error("test coroutine did not finish");
    f.get();
    return std::move(*out);
  }

  // Runs the loop until `ready()` holds or `limit` passes.
  bool run_until(const std::function<bool()>& ready, std::chrono::milliseconds limit = 5000ms) {
    io_.restart();
    const auto start = Clock::now();
    while (!ready() && Clock::now() - start < limit) io_.run_for(10ms);
    return ready();
  }

  void run(Task<void> task) {
    auto f = net::co_spawn(io_, std::move(task), net::use_future);
    io_.restart();
    const auto start = Clock::now();
    while (f.wait_for(0s) != std::future_status::ready && Clock::now() - start < 10s) io_.run_for(10ms);
    f.get();
  }

  Expected<Reply, CommandError> cmd(Client& c, std::vector<std::string> args) {
    return run(c.command(std::move(args)));
  }

  net::io_context io_;
  RedisConfig config_;
  std::string prefix_;
  std::vector<std::shared_ptr<Client>> clients_;
};

}  // namespace mc::redis::testing
