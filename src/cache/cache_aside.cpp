// Cache-aside with request coalescing. The first miss of a key on this thread becomes the key's "flight":
// it runs the loader; every request for the same key that arrives meanwhile waits for the flight instead
// of loading again, so a cold key costs one database load per I/O thread however many shoppers ask.
// Across threads and instances the flight takes the key's lock in the store first (SET NX PX): the holder
// loads; the others poll for its value for up to lock_wait, so a cold key costs about one load in all.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <random>
#include <unordered_map>

#include "cache/cache.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"

namespace mc::cache {

namespace net = boost::asio;

namespace {

using Handler = net::any_completion_handler<void(std::exception_ptr, Fetched)>;

struct Waiter {
  Handler handler;
  net::any_io_executor executor;  // the waiting coroutine's, where it resumes
};

struct Flight {
  std::vector<Waiter> waiters;
  bool done = false;  // loaded; the cache write may still be on its way
  std::exception_ptr error;
  Fetched result;
  std::optional<Guard> guard;  // the loader's condition for caching the result

  void release() {
    for (auto& w : waiters) {
      net::post(w.executor,
                [h = std::move(w.handler), error = error, result = result]() mutable { std::move(h)(error, result); });
    }
    waiters.clear();
  }
};

// Waits for a flight's result (at once when it is already loaded).
Task<Fetched> join(std::shared_ptr<Flight> flight) {
  if (!flight->done) {
    net::any_io_executor executor = co_await net::this_coro::executor;
    // Named, not a temporary in the co_await: GCC 12 destroys such captured temporaries twice.
    auto wait = [flight, executor](Handler h) { flight->waiters.push_back(Waiter{std::move(h), executor}); };
    co_return co_await net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, Fetched)>(
        std::move(wait), net::use_awaitable);
  }
  if (flight->error) std::rethrow_exception(flight->error);
  co_return flight->result;
}

}  // namespace

struct CacheAside::Impl {
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights;
  std::mt19937_64 rng{std::random_device{}()};
  metrics::Counter& hits = metrics::registry().counter("myclothes_cache_requests_total", {{"result", "hit"}});
  metrics::Counter& misses = metrics::registry().counter("myclothes_cache_requests_total", {{"result", "miss"}});
  metrics::Counter& coalesced =
      metrics::registry().counter("myclothes_cache_requests_total", {{"result", "coalesced"}});
  metrics::Counter& lock_waits =
      metrics::registry().counter("myclothes_cache_requests_total", {{"result", "lock_wait"}});
  metrics::Counter& lock_acquired =
      metrics::registry().counter("myclothes_cache_lock_total", {{"outcome", "acquired"}});
  metrics::Counter& lock_served = metrics::registry().counter("myclothes_cache_lock_total", {{"outcome", "served"}});
  metrics::Counter& lock_expired = metrics::registry().counter("myclothes_cache_lock_total", {{"outcome", "expired"}});
  metrics::Counter& lock_released =
      metrics::registry().counter("myclothes_cache_lock_total", {{"outcome", "released_empty"}});
  metrics::Counter& lock_unavailable =
      metrics::registry().counter("myclothes_cache_lock_total", {{"outcome", "unavailable"}});
};

CacheAside::CacheAside(Store& store, double jitter, std::chrono::milliseconds lock_wait)
    : store_(store),
      jitter_(std::clamp(jitter, 0.0, 0.9)),
      lock_wait_(std::max(lock_wait, std::chrono::milliseconds(0))),
      impl_(std::make_unique<Impl>()) {
  metrics::registry().describe("myclothes_cache_requests_total",
                               "Cache-aside lookups: hit, miss (loaded from the database), coalesced "
                               "(waited for another request's load on this thread), lock_wait (waited for "
                               "another thread's or instance's load under the key's lock).");
  metrics::registry().describe("myclothes_cache_lock_total",
                               "Cross-instance load locks taken on a miss: acquired (this thread loads), served "
                               "(another's load arrived while waiting), expired (the wait ran out: loaded "
                               "anyway), released_empty (the holder let go without a value: loaded), "
                               "unavailable (the store could not lock: loaded).");
}

CacheAside::~CacheAside() = default;

std::chrono::milliseconds CacheAside::jittered(std::chrono::seconds ttl) {
  std::uniform_real_distribution<double> factor(1.0 - jitter_, 1.0 + jitter_);
  const auto ms = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count());
  return std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(ms * factor(impl_->rng))));
}

std::string CacheAside::lock_key(std::string_view key) { return "mc:lock:" + std::string(key); }

// A loser of the key's lock: polls the key (and the lock) until the holder's value appears. nullopt: load it
// yourself (the wait ran out, the holder let go without caching a value, or the store stopped answering).
Task<std::optional<Fetched>> CacheAside::wait_for_other(const std::string& key, const std::string& lock) {
  const auto deadline = std::chrono::steady_clock::now() + lock_wait_;
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    timer.expires_after(std::min<std::chrono::steady_clock::duration>(kLockPoll, deadline - now));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    std::vector<std::string> keys{key, lock};
    auto values = co_await store_.get_many(std::move(keys));
    if (!values || values->size() != 2) {
      impl_->lock_unavailable.inc();
      co_return std::nullopt;
    }
    if ((*values)[0]) {
      impl_->lock_served.inc();
      co_return Fetched{std::move(*(*values)[0]), false, "none", true, true};
    }
    if (!(*values)[1]) {
      impl_->lock_released.inc();
      co_return std::nullopt;
    }
  }
  impl_->lock_expired.inc();
  co_return std::nullopt;
}

Task<Fetched> CacheAside::get_or_load(std::string key, std::chrono::seconds ttl, Loader loader) {
  if (auto it = impl_->flights.find(key); it != impl_->flights.end()) {
    impl_->coalesced.inc();
    co_return co_await join(it->second);
  }

  if (auto cached = co_await store_.get(key)) {
    impl_->hits.inc();
    co_return Fetched{std::move(*cached), true, "none", true};
  }

  // The lookup above was a suspension point: another request may have started loading meanwhile.
  if (auto it = impl_->flights.find(key); it != impl_->flights.end()) {
    impl_->coalesced.inc();
    co_return co_await join(it->second);
  }

  auto flight = std::make_shared<Flight>();
  impl_->flights.emplace(key, flight);

  // Across instances: the key's lock. Whatever goes wrong with it, this request loads the key itself.
  std::string lock;
  std::string token;
  bool locked = false;
  std::optional<Fetched> waited;
  if (lock_wait_.count() > 0 && store_.available()) {
    try {
      lock = lock_key(key);
      token = random_token(12);
      const auto got = co_await store_.try_lock(lock, token, lock_wait_ * 2);
      if (got == LockResult::kAcquired) {
        locked = true;
        impl_->lock_acquired.inc();
      } else if (got == LockResult::kBusy) {
        waited = co_await wait_for_other(key, lock);
      } else {
        impl_->lock_unavailable.inc();
      }
    } catch (const std::exception& e) {
      spdlog::debug("cache: lock for {}: {}", key, e.what());
      waited.reset();
    }
  }

  if (waited) {
    impl_->lock_waits.inc();
    flight->result = std::move(*waited);
  } else {
    impl_->misses.inc();
    try {
      Loaded loaded = co_await loader();
      flight->result = Fetched{std::move(loaded.value), false, std::move(loaded.origin), loaded.found};
      flight->guard = std::move(loaded.guard);
    } catch (...) {
      flight->error = std::current_exception();
    }
  }
  flight->done = true;
  flight->release();  // waiters need not wait for the cache write
  if (!flight->result.waited && !flight->error && flight->result.found) {
    if (flight->guard) {
      co_await store_.set_unless_moved(key, flight->result.value, jittered(ttl), flight->guard->counter,
                                       flight->guard->expected);
    } else {
      co_await store_.set(key, flight->result.value, jittered(ttl));
    }
  }
  // After the cache write, so the waiting instances find the value rather than an empty key.
  if (locked) co_await store_.unlock(lock, token);
  if (auto it = impl_->flights.find(key); it != impl_->flights.end() && it->second == flight) impl_->flights.erase(it);
  if (flight->error) std::rethrow_exception(flight->error);
  co_return flight->result;
}

}  // namespace mc::cache
