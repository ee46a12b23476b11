// The cross-instance load lock of CacheAside, with two "instances" (two CacheAside objects, as two processes
// would have) over one fake store.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cache/cache.hpp"
#include "core/metrics.hpp"
#include "fakes/cache_store.hpp"

namespace mc::cache {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

std::uint64_t count(std::string_view result) {
  return metrics::registry().counter("myclothes_cache_requests_total", {{"result", std::string(result)}}).value();
}
std::uint64_t lock_outcome(std::string_view outcome) {
  return metrics::registry().counter("myclothes_cache_lock_total", {{"outcome", std::string(outcome)}}).value();
}

class CacheLockTest : public ::testing::Test {
 protected:
  CacheLockTest() { store_.round_trips = true; }

  // A loader that takes `delay` of (fake) database time and counts its calls.
  Loader loader(std::string value, std::chrono::milliseconds delay = 30ms, bool found = true) {
    return [this, value, delay, found]() -> Task<Loaded> {
      ++loads_;
      net::steady_timer t(co_await net::this_coro::executor, delay);
      co_await t.async_wait(net::use_awaitable);
      co_return Loaded{value, "replica", found};
    };
  }

  // Starts `n` concurrent reads of `key` on each of the caches and runs them all to completion.
  std::vector<std::vector<Fetched>> concurrently(std::vector<CacheAside*> caches, int n, const std::string& key,
                                                 const Loader& load) {
    std::vector<std::vector<Fetched>> out(caches.size(), std::vector<Fetched>(static_cast<std::size_t>(n)));
    int finished = 0;
    for (std::size_t c = 0; c < caches.size(); ++c) {
      for (int i = 0; i < n; ++i) {
        net::co_spawn(
            io_,
            [&, c, i]() -> Task<void> {
              out[c][static_cast<std::size_t>(i)] = co_await caches[c]->get_or_load(key, 60s, load);
              ++finished;
            },
            [](std::exception_ptr e) {
              if (e) std::rethrow_exception(e);
            });
      }
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(finished, n * static_cast<int>(caches.size()));
    return out;
  }

  net::io_context io_;
  fakes::CacheStore store_;
  CacheAside a_{store_, 0.1, 500ms};
  CacheAside b_{store_, 0.1, 500ms};
  int loads_ = 0;
};

TEST_F(CacheLockTest, TheLockWinnerLoadsOnceAndTheOtherInstanceWaitsForItsValue) {
  const auto waits_before = count("lock_wait");
  const auto misses_before = count("miss");
  auto results = concurrently({&a_, &b_}, 50, "mc:product:1", loader("doc-1"));
  EXPECT_EQ(loads_, 1) << "one database load for both instances";
  int waited = 0;
  for (const auto& side : results) {
    for (const auto& r : side) {
      EXPECT_EQ(r.value, "doc-1");
      EXPECT_FALSE(r.hit);
      if (r.waited) {
        ++waited;
        EXPECT_EQ(r.origin, "none") << "the waiting instance did not use a database";
      } else {
        EXPECT_EQ(r.origin, "replica");
      }
    }
  }
  EXPECT_EQ(waited, 50) << "every request of the losing instance got the winner's value";
  EXPECT_EQ(count("miss") - misses_before, 1u);
  EXPECT_EQ(count("lock_wait") - waits_before, 1u) << "one flight per instance; the loser's waited";
  EXPECT_EQ(store_.values.at("mc:product:1"), "doc-1");
  EXPECT_FALSE(store_.values.contains("mc:lock:mc:product:1")) << "the winner released its lock";
  EXPECT_EQ(store_.unlocks, 1);
}

TEST_F(CacheLockTest, ALoserLoadsItselfWhenTheWaitRunsOut) {
  store_.values["mc:lock:k"] = "held-by-a-dead-instance";
  CacheAside c{store_, 0.1, 80ms};
  const auto expired_before = lock_outcome("expired");
  const auto started = std::chrono::steady_clock::now();
  auto results = concurrently({&c}, 5, "k", loader("v", 1ms));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(loads_, 1);
  EXPECT_GE(elapsed, 80ms);
  EXPECT_LT(elapsed, 2s);
  for (const auto& r : results[0]) {
    EXPECT_EQ(r.value, "v");
    EXPECT_FALSE(r.waited);
    EXPECT_EQ(r.origin, "replica");
  }
  EXPECT_EQ(lock_outcome("expired") - expired_before, 1u);
  EXPECT_EQ(store_.values.at("k"), "v") << "a value loaded after the wait is cached as usual";
  EXPECT_EQ(store_.values.at("mc:lock:k"), "held-by-a-dead-instance") << "another's lock is never deleted";
}

TEST_F(CacheLockTest, WhenTheHolderLetsGoWithoutAValueTheLoserLoadsAtOnce) {
  // Nothing found is not cached: the holder unlocks and the other instance must not wait out lock_wait.
  const auto started = std::chrono::steady_clock::now();
  auto results = concurrently({&a_, &b_}, 3, "missing", loader("", 30ms, false));
  EXPECT_EQ(loads_, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
  for (const auto& side : results) {
    for (const auto& r : side) EXPECT_FALSE(r.found);
  }
}

TEST_F(CacheLockTest, WithTheStoreDownThereIsNoLockAndTheKeyIsLoadedDirectly) {
  store_.up = false;
  auto results = concurrently({&a_}, 3, "k", loader("v"));
  EXPECT_EQ(loads_, 1);
  EXPECT_EQ(store_.try_locks, 0);
  EXPECT_EQ(results[0][0].value, "v");
}

TEST_F(CacheLockTest, AStoreThatFailsDuringTheWaitMakesTheLoserLoad) {
  store_.values["mc:lock:k"] = "someone";
  store_.fail_get_many = true;
  const auto started = std::chrono::steady_clock::now();
  auto results = concurrently({&a_}, 2, "k", loader("v", 1ms));
  EXPECT_EQ(loads_, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
  EXPECT_EQ(results[0][1].value, "v");
}

TEST_F(CacheLockTest, WithoutALockWaitThereIsNoLock) {
  CacheAside c{store_, 0.1, 0ms};
  concurrently({&c}, 2, "k", loader("v"));
  EXPECT_EQ(store_.try_locks, 0);
  EXPECT_EQ(loads_, 1);
}

TEST_F(CacheLockTest, AFillIsNotCachedWhenAWriteMovedItsGuardDuringTheLoad) {
  Loader racing = [this]() -> Task<Loaded> {
    ++loads_;
    co_await net::post(net::use_awaitable);
    ++store_.counters["mc:catalog:version"];  // a catalog write lands while this load runs
    co_return Loaded{"old", "replica", true, Guard{"mc:catalog:version", 0}};
  };
  auto results = concurrently({&a_}, 1, "mc:product:9", racing);
  EXPECT_EQ(results[0][0].value, "old") << "the caller still gets what was loaded";
  EXPECT_FALSE(store_.values.contains("mc:product:9")) << "but it is not cached over the write";

  Loader calm = [this]() -> Task<Loaded> {
    ++loads_;
    co_return Loaded{"new", "replica", true, Guard{"mc:catalog:version", 1}};
  };
  concurrently({&a_}, 1, "mc:product:9", calm);
  EXPECT_EQ(store_.values.at("mc:product:9"), "new");
}

}  // namespace
}  // namespace mc::cache
