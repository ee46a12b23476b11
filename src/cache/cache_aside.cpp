// Cache-aside with request coalescing. The first miss of a key on this thread becomes the key's "flight":
// it runs the loader; every request for the same key that arrives meanwhile waits for the flight instead
// of loading again, so a cold key costs one database load per I/O thread however many shoppers ask.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <random>
#include <unordered_map>

#include "cache/cache.hpp"
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
};

CacheAside::CacheAside(Store& store, double jitter)
    : store_(store), jitter_(std::clamp(jitter, 0.0, 0.9)), impl_(std::make_unique<Impl>()) {
  metrics::registry().describe("myclothes_cache_requests_total",
                               "Cache-aside lookups: hit, miss (loaded from the database), coalesced "
                               "(waited for another request's load).");
}

CacheAside::~CacheAside() = default;

std::chrono::milliseconds CacheAside::jittered(std::chrono::seconds ttl) {
  std::uniform_real_distribution<double> factor(1.0 - jitter_, 1.0 + jitter_);
  const auto ms = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count());
  return std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(ms * factor(impl_->rng))));
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

  impl_->misses.inc();
  auto flight = std::make_shared<Flight>();
  impl_->flights.emplace(key, flight);
  try {
    Loaded loaded = co_await loader();
    flight->result = Fetched{std::move(loaded.value), false, std::move(loaded.origin), loaded.found};
  } catch (...) {
    flight->error = std::current_exception();
  }
  flight->done = true;
  flight->release();  // waiters need not wait for the cache write
  if (!flight->error && flight->result.found) {
    co_await store_.set(key, flight->result.value, jittered(ttl));
  }
  if (auto it = impl_->flights.find(key); it != impl_->flights.end() && it->second == flight) impl_->flights.erase(it);
  if (flight->error) std::rethrow_exception(flight->error);
  co_return flight->result;
}

}  // namespace mc::cache
