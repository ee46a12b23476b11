#include "cache/cache.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>
#include <stdexcept>

#include "core/metrics.hpp"
#include "fakes/cache_store.hpp"

namespace mc::cache {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

std::uint64_t count(std::string_view result) {
  return metrics::registry().counter("myclothes_cache_requests_total", {{"result", std::string(result)}}).value();
}

class CacheAsideTest : public ::testing::Test {
 protected:
  CacheAsideTest() { store_.round_trips = true; }

  // A loader that takes `delay` of (fake) database time and counts its calls.
  Loader loader(std::string value, bool found = true, std::chrono::milliseconds delay = 5ms) {
    return [this, value, found, delay]() -> Task<Loaded> {
      ++loads_;
      net::steady_timer t(co_await net::this_coro::executor, delay);
      co_await t.async_wait(net::use_awaitable);
      co_return Loaded{value, "replica", found};
    };
  }

  // Starts `n` concurrent get_or_load calls of one key and runs them all to completion.
  std::vector<Fetched> concurrently(int n, const std::string& key, const Loader& load) {
    std::vector<Fetched> out(static_cast<std::size_t>(n));
    int finished = 0;
    for (int i = 0; i < n; ++i) {
      net::co_spawn(
          io_,
          [&, i]() -> Task<void> {
            out[static_cast<std::size_t>(i)] = co_await cache_.get_or_load(key, 60s, load);
            ++finished;
          },
          [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
          });
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(finished, n);
    return out;
  }

  net::io_context io_;
  fakes::CacheStore store_;
  CacheAside cache_{store_, 0.1};
  int loads_ = 0;
};

TEST_F(CacheAsideTest, AColdKeyAskedByManyAtOnceIsLoadedOnce) {
  const auto coalesced_before = count("coalesced");
  const auto misses_before = count("miss");
  auto results = concurrently(200, "mc:product:1", loader("doc-1"));
  EXPECT_EQ(loads_, 1);
  for (const auto& r : results) {
    EXPECT_EQ(r.value, "doc-1");
    EXPECT_FALSE(r.hit);
    EXPECT_EQ(r.origin, "replica");
  }
  EXPECT_EQ(count("miss") - misses_before, 1u);
  EXPECT_EQ(count("coalesced") - coalesced_before, 199u);
  EXPECT_EQ(store_.values.at("mc:product:1"), "doc-1");
}

TEST_F(CacheAsideTest, TheNextReadIsAHitWithNoDatabase) {
  concurrently(1, "k", loader("v"));
  const auto hits_before = count("hit");
  auto again = concurrently(3, "k", loader("other"));
  EXPECT_EQ(loads_, 1);
  for (const auto& r : again) {
    EXPECT_TRUE(r.hit);
    EXPECT_EQ(r.value, "v");
    EXPECT_EQ(r.origin, "none");
  }
  EXPECT_EQ(count("hit") - hits_before, 3u);
}

TEST_F(CacheAsideTest, NothingFoundIsAnsweredButNotCached) {
  auto first = concurrently(5, "missing", loader("", false));
  for (const auto& r : first) EXPECT_FALSE(r.found);
  EXPECT_EQ(loads_, 1);
  EXPECT_FALSE(store_.values.contains("missing"));
  concurrently(1, "missing", loader("", false));
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheAsideTest, ALoaderFailureReachesEveryWaiterAndIsNotCached) {
  Loader failing = [this]() -> Task<Loaded> {
    ++loads_;
    net::steady_timer t(co_await net::this_coro::executor, 2ms);
    co_await t.async_wait(net::use_awaitable);
    throw std::runtime_error("database down");
  };
  int failures = 0;
  for (int i = 0; i < 10; ++i) {
    net::co_spawn(io_, cache_.get_or_load("k", 60s, failing), [&](std::exception_ptr e, Fetched) {
      if (e) ++failures;
    });
  }
  io_.run();
  EXPECT_EQ(failures, 10);
  EXPECT_EQ(loads_, 1);
  EXPECT_TRUE(store_.values.empty());
  // The failed flight is gone: the next request tries again.
  concurrently(1, "k", loader("back"));
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheAsideTest, WithTheStoreDownEveryReadGoesToTheLoader) {
  store_.up = false;
  concurrently(1, "k", loader("v"));
  concurrently(1, "k", loader("v"));
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheAsideTest, TtlsAreSpreadWithinTheJitter) {
  std::set<long long> seen;
  for (int i = 0; i < 200; ++i) {
    const auto ms = cache_.jittered(100s).count();
    EXPECT_GE(ms, 90'000);
    EXPECT_LE(ms, 110'000);
    seen.insert(ms);
  }
  EXPECT_GT(seen.size(), 100u) << "TTLs should differ, so keys loaded together do not expire together";
  concurrently(1, "k", loader("v"));
  const auto ttl = store_.ttls.at("k").count();
  EXPECT_GE(ttl, 54'000);
  EXPECT_LE(ttl, 66'000);
}

TEST_F(CacheAsideTest, DifferentKeysDoNotWaitForEachOther) {
  int finished = 0;
  for (int i = 0; i < 4; ++i) {
    net::co_spawn(io_, cache_.get_or_load("key-" + std::to_string(i), 60s, loader("v")),
                  [&](std::exception_ptr e, Fetched) {
                    EXPECT_FALSE(e);
                    ++finished;
                  });
  }
  io_.run();
  EXPECT_EQ(finished, 4);
  EXPECT_EQ(loads_, 4);
}

}  // namespace
}  // namespace mc::cache
