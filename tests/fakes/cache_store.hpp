#pragma once

// The cache store in memory, as Redis would answer on one thread: values with their TTLs (not expired),
// counters readable as text, SET NX locks, and every operation degrading to a miss or a no-op while
// "down". The atomic steps (publish, forget, set_unless_moved) are the Store defaults.

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"

namespace mc::fakes {

class CacheStore final : public cache::Store {
 public:
  std::map<std::string, std::string> values;  // documents and locks
  std::map<std::string, std::int64_t> counters;
  std::map<std::string, std::chrono::milliseconds> ttls;  // of each key's last set
  bool up = true;              // false: reads miss, writes are dropped, locks are unavailable
  bool round_trips = false;    // true: every operation takes a turn of the event loop, like a network call
  bool fail_get_many = false;  // get_many answers nothing (the store failed mid-wait)
  int gets = 0;
  int try_locks = 0;
  int unlocks = 0;

  Task<std::optional<std::string>> get(std::string key) override {
    ++gets;
    co_await turn();
    if (!up) co_return std::nullopt;
    co_return lookup(key);
  }
  Task<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override {
    co_await turn();
    if (!up) co_return;
    ttls[key] = ttl;
    values[std::move(key)] = std::move(value);
  }
  Task<void> del(std::vector<std::string> keys) override {
    co_await turn();
    if (!up) co_return;
    for (const auto& k : keys) values.erase(k);
  }
  Task<std::int64_t> get_counter(std::string key) override {
    co_await turn();
    if (!up) co_return 0;
    auto it = counters.find(key);
    co_return it == counters.end() ? 0 : it->second;
  }
  Task<std::int64_t> incr(std::string key) override {
    co_await turn();
    if (!up) co_return 0;
    co_return ++counters[std::move(key)];
  }
  bool available() const override { return up; }

  Task<std::optional<std::vector<std::optional<std::string>>>> get_many(std::vector<std::string> keys) override {
    co_await turn();
    if (!up || fail_get_many) co_return std::nullopt;
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    for (const auto& k : keys) out.push_back(lookup(k));
    co_return out;
  }
  Task<cache::LockResult> try_lock(std::string key, std::string token, std::chrono::milliseconds) override {
    ++try_locks;
    co_await turn();
    if (!up) co_return cache::LockResult::kUnavailable;
    if (values.contains(key)) co_return cache::LockResult::kBusy;
    values[std::move(key)] = std::move(token);
    co_return cache::LockResult::kAcquired;
  }
  Task<void> unlock(std::string key, std::string token) override {
    ++unlocks;
    co_await turn();
    if (auto it = values.find(key); up && it != values.end() && it->second == token) values.erase(it);
  }

 private:
  Task<void> turn() {
    if (round_trips) co_await boost::asio::post(boost::asio::use_awaitable);
  }
  std::optional<std::string> lookup(const std::string& key) const {
    if (auto c = counters.find(key); c != counters.end()) return std::to_string(c->second);  // as in Redis
    if (auto v = values.find(key); v != values.end()) return v->second;
    return std::nullopt;
  }
};

}  // namespace mc::fakes
