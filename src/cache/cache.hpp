#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/task.hpp"

namespace mc::redis {
class Client;
}

namespace mc::cache {

// A short lock that one instance holds while it loads a cold key (stampede protection across instances).
enum class LockResult {
  kAcquired,     // ours: load, write the cache, unlock
  kBusy,         // someone else is loading the key
  kUnavailable,  // the store could not tell (down, or it has no locks): load without one
};

// A catalog write as the cache learns of it (Store::publish): the written document, and the write's
// position, which versions every key that depends on more than one document.
struct Publication {
  std::string key;  // the document's key
  std::string value;
  std::chrono::milliseconds ttl{0};
  std::string version_key;   // counter: incremented, so every key built from the old version is unreachable
  std::string position_key;  // the newest write's position (16 upper-case hex digits, raised, never lowered)
  std::string position;
};

// The shared cache store (Redis in production, a fake in unit tests). Every operation degrades to
// "miss"/no-op when the store is unreachable: the store is an optimisation, never a dependency of a read.
//
// The operations below the first six have defaults that are correct but not atomic, for stores that are
// only ever used by one thread (test fakes, the null store); the Redis store does each in one round trip.
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

  // Several values in one round trip (MGET), in the order of `keys`; nullopt when the store did not answer.
  virtual Task<std::optional<std::vector<std::optional<std::string>>>> get_many(std::vector<std::string> keys);
  // SET, unless the counter `guard` no longer holds `expected` (an absent counter holds 0): a value loaded
  // before a write must not be cached after it.
  virtual Task<void> set_unless_moved(std::string key, std::string value, std::chrono::milliseconds ttl,
                                      std::string guard, std::int64_t expected);
  // SET key token NX PX ttl.
  virtual Task<LockResult> try_lock(std::string key, std::string token, std::chrono::milliseconds ttl);
  // Deletes the lock only while it still holds `token` (it may have expired and been taken by another).
  virtual Task<void> unlock(std::string key, std::string token);
  // In one step: raises the position, increments the version and, when this write's position is newer than
  // any published before, stores the document; otherwise deletes it (a later write was published first, and
  // whose document is fresher cannot be told: the next read loads it). false when the store did not confirm.
  virtual Task<bool> publish(Publication p);
  // In one step: deletes `keys` and raises the position in `position_key` to `position` (never lowers it),
  // so the next load of those keys reads a server that has seen the write (e.g. stock after an order).
  virtual Task<void> forget(std::vector<std::string> keys, std::string position_key, std::string position);
};

// The Redis store. `key_prefix` goes in front of every key (tests sharing one Redis use a unique one).
std::unique_ptr<Store> make_redis_store(std::shared_ptr<redis::Client> client, std::string key_prefix = {});
// A store that holds nothing: every read misses, every write is dropped, no locks.
std::unique_ptr<Store> make_null_store();
// The catalog's store as `myclothes serve` makes it: Redis, or the null store when the cache is switched
// off (cache.enabled = false) or there is no Redis client (redis.enabled = false).
std::unique_ptr<Store> make_catalog_store(const CacheConfig& config, std::shared_ptr<redis::Client> client,
                                          std::string key_prefix = {});

// Where a value came from, for the X-Cache and X-DB headers.
struct Fetched {
  std::string value;
  bool hit = false;     // served from the cache
  std::string origin;   // "none" on a hit or after waiting for another instance's load, else the loader's
  bool found = true;    // false when the loader found nothing (such results are not cached)
  bool waited = false;  // another instance loaded it while this one waited on the key's lock
};

// Cache the loaded value only while `counter` still holds `expected` (no write happened since the load began).
struct Guard {
  std::string counter;
  std::int64_t expected = 0;
};

struct Loaded {
  std::string value;
  std::string origin;  // "primary" | "replica"
  bool found = true;   // nothing found: returned to the caller but not cached
  std::optional<Guard> guard;
};

using Loader = std::function<Task<Loaded>()>;

// Cache-aside (lazy loading) with TTL jitter and request coalescing against stampedes:
// - on one thread, concurrent misses of the same key wait for a single load ("coalesced");
// - across threads and instances, the thread that misses first takes a short Redis lock on the key
//   (mc:lock:{key}) and loads; the others poll the key until its value appears ("lock_wait"), and load
//   themselves when `lock_wait` runs out, the lock goes away without a value, or the store fails. The
//   lock is an optimisation: it never makes a read fail, and without a store there is none.
// Not thread-safe: one per I/O thread.
class CacheAside {
 public:
  static constexpr std::chrono::milliseconds kDefaultLockWait{500};
  static constexpr std::chrono::milliseconds kLockPoll{10};

  // lock_wait 0: no cross-instance lock.
  CacheAside(Store& store, double jitter, std::chrono::milliseconds lock_wait = kDefaultLockWait);
  ~CacheAside();
  CacheAside(const CacheAside&) = delete;
  CacheAside& operator=(const CacheAside&) = delete;

  Task<Fetched> get_or_load(std::string key, std::chrono::seconds ttl, Loader loader);

  // ttl scaled by a random factor in [1 - jitter, 1 + jitter].
  std::chrono::milliseconds jittered(std::chrono::seconds ttl);

  Store& store() { return store_; }

  static std::string lock_key(std::string_view key);

 private:
  struct Impl;
  Task<std::optional<Fetched>> wait_for_other(const std::string& key, const std::string& lock);

  Store& store_;
  double jitter_;
  std::chrono::milliseconds lock_wait_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::cache
