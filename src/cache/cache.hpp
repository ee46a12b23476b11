#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/task.hpp"

namespace mc::redis {
class Client;
}

namespace mc::cache {

// The shared cache store (Redis in production, a fake in unit tests). Every operation degrades to
// "miss"/no-op when the store is unreachable: the store is an optimisation, never a dependency of a read.
class Store {
 public:
  virtual ~Store() = default;
  virtual Task<std::optional<std::string>> get(std::string key) = 0;
  virtual Task<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) = 0;
  virtual Task<void> del(std::vector<std::string> keys) = 0;
  // A named counter used to version groups of keys (e.g. every listing); 0 when unknown or unreachable.
  virtual Task<std::int64_t> get_counter(std::string key) = 0;
  virtual Task<std::int64_t> incr(std::string key) = 0;
  virtual bool available() const = 0;
};

std::unique_ptr<Store> make_redis_store(std::shared_ptr<redis::Client> client);

// Where a value came from, for the X-Cache and X-DB headers.
struct Fetched {
  std::string value;
  bool hit = false;    // served from the cache
  std::string origin;  // "none" on a hit, else what the loader said ("primary" or "replica")
  bool found = true;   // false when the loader found nothing (such results are not cached)
};

struct Loaded {
  std::string value;
  std::string origin;  // "primary" | "replica"
  bool found = true;   // nothing found: returned to the caller but not cached
};

using Loader = std::function<Task<Loaded>()>;

// Cache-aside (lazy loading) with TTL jitter and request coalescing: on one thread, concurrent misses
// of the same key wait for a single load instead of each going to the database. Not thread-safe:
// one per I/O thread.
class CacheAside {
 public:
  CacheAside(Store& store, double jitter);
  ~CacheAside();
  CacheAside(const CacheAside&) = delete;
  CacheAside& operator=(const CacheAside&) = delete;

  Task<Fetched> get_or_load(std::string key, std::chrono::seconds ttl, Loader loader);

  // ttl scaled by a random factor in [1 - jitter, 1 + jitter].
  std::chrono::milliseconds jittered(std::chrono::seconds ttl);

  Store& store() { return store_; }

 private:
  struct Impl;
  Store& store_;
  double jitter_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::cache
