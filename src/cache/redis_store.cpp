// The cache store on Redis. Every failure (disconnected, timed out, an error reply) reads as a miss or
// a no-op: the cache speeds reads up but never decides whether one succeeds.
#include <spdlog/spdlog.h>

#include <charconv>

#include "cache/cache.hpp"
#include "redis/client.hpp"

namespace mc::cache {
namespace {

// KEYS[1] the value, KEYS[2] the guard counter; ARGV value, ttl ms, expected counter (absent counts as 0).
constexpr std::string_view kSetUnlessMoved = R"(
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1)";

// KEYS[1] the lock; ARGV token. Only the holder deletes it.
constexpr std::string_view kUnlock = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0)";

// KEYS[1] the document, KEYS[2] the version counter, KEYS[3] the position; ARGV document, ttl ms, position.
// Positions are 16 hex digits, compared as two 32-bit halves (exact in Lua's numbers, whatever the locale).
constexpr std::string_view kPublish = R"(
local function newer(a, b)
  local ah, bh = tonumber(string.sub(a, 1, 8), 16), tonumber(string.sub(b, 1, 8), 16)
  if ah ~= bh then return ah > bh end
  return tonumber(string.sub(a, 9, 16), 16) > tonumber(string.sub(b, 9, 16), 16)
end
local before = redis.call('GET', KEYS[3])
if not before or string.len(before) ~= 16 then before = '0000000000000000' end
if newer(ARGV[3], before) then
  redis.call('SET', KEYS[3], ARGV[3])
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return redis.call('INCR', KEYS[2]))";

// KEYS[1] the position; KEYS[2..] deleted; ARGV[1] the write's position (16 hex digits), raised never lowered.
constexpr std::string_view kForget = R"(
local before = redis.call('GET', KEYS[1])
if not before or string.len(before) ~= 16 then before = '0000000000000000' end
if ARGV[1] > before then redis.call('SET', KEYS[1], ARGV[1]) end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1)";

std::string millis(std::chrono::milliseconds ttl) { return std::to_string(std::max<long long>(1, ttl.count())); }

class RedisStore final : public Store {
 public:
  RedisStore(std::shared_ptr<redis::Client> client, std::string prefix)
      : client_(std::move(client)), prefix_(std::move(prefix)) {}

  Task<std::optional<std::string>> get(std::string key) override {
    std::vector<std::string> args{"GET", k(std::move(key))};
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kString) co_return std::nullopt;
    co_return std::move(reply->str);
  }

  Task<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override {
    std::vector<std::string> args{"SET", k(std::move(key)), std::move(value), "PX", millis(ttl)};
    co_await client_->command(std::move(args));
  }

  Task<void> del(std::vector<std::string> keys) override {
    if (keys.empty()) co_return;
    std::vector<std::string> args;
    args.reserve(keys.size() + 1);
    args.emplace_back("DEL");
    for (auto& key : keys) args.push_back(k(std::move(key)));
    co_await client_->command(std::move(args));
  }

  Task<std::int64_t> get_counter(std::string key) override {
    std::vector<std::string> args{"GET", k(std::move(key))};
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kString) co_return 0;
    std::int64_t value = 0;
    const auto* end = reply->str.data() + reply->str.size();
    if (std::from_chars(reply->str.data(), end, value).ptr != end) co_return 0;
    co_return value;
  }

  Task<std::int64_t> incr(std::string key) override {
    std::vector<std::string> args{"INCR", k(std::move(key))};
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kInteger) co_return 0;
    co_return reply->integer;
  }

  bool available() const override { return client_->connected(); }

  Task<std::optional<std::vector<std::optional<std::string>>>> get_many(std::vector<std::string> keys) override {
    std::vector<std::string> args;
    args.reserve(keys.size() + 1);
    args.emplace_back("MGET");
    for (auto& key : keys) args.push_back(k(std::move(key)));
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kArray || reply->elements.size() != keys.size()) {
      co_return std::nullopt;
    }
    std::vector<std::optional<std::string>> values;
    values.reserve(keys.size());
    for (auto& e : reply->elements) {
      if (e.type == redis::Reply::Type::kString) {
        values.emplace_back(std::move(e.str));
      } else {
        values.emplace_back(std::nullopt);
      }
    }
    co_return values;
  }

  Task<void> set_unless_moved(std::string key, std::string value, std::chrono::milliseconds ttl, std::string guard,
                              std::int64_t expected) override {
    std::vector<std::string> args{
        "EVAL",      std::string(kSetUnlessMoved), "2", k(std::move(key)), k(std::move(guard)), std::move(value),
        millis(ttl), std::to_string(expected)};
    auto reply = co_await client_->command(std::move(args));
    if (reply && reply->type == redis::Reply::Type::kError) spdlog::warn("cache: guarded set: {}", reply->str);
  }

  Task<LockResult> try_lock(std::string key, std::string token, std::chrono::milliseconds ttl) override {
    std::vector<std::string> args{"SET", k(std::move(key)), std::move(token), "NX", "PX", millis(ttl)};
    auto reply = co_await client_->command(std::move(args));
    if (!reply) co_return LockResult::kUnavailable;
    if (reply->type == redis::Reply::Type::kStatus) co_return LockResult::kAcquired;
    if (reply->type == redis::Reply::Type::kNil) co_return LockResult::kBusy;
    co_return LockResult::kUnavailable;
  }

  Task<void> unlock(std::string key, std::string token) override {
    std::vector<std::string> args{"EVAL", std::string(kUnlock), "1", k(std::move(key)), std::move(token)};
    co_await client_->command(std::move(args));
  }

  Task<bool> publish(Publication p) override {
    std::vector<std::string> args{"EVAL",
                                  std::string(kPublish),
                                  "3",
                                  k(std::move(p.key)),
                                  k(std::move(p.version_key)),
                                  k(std::move(p.position_key)),
                                  std::move(p.value),
                                  millis(p.ttl),
                                  std::move(p.position)};
    auto reply = co_await client_->command(std::move(args));
    if (!reply) co_return false;
    if (reply->type != redis::Reply::Type::kInteger) {
      spdlog::warn("cache: publishing a write: {}", reply->str);
      co_return false;
    }
    co_return true;
  }

  Task<void> forget(std::vector<std::string> keys, std::string position_key, std::string position) override {
    std::vector<std::string> args{"EVAL", std::string(kForget), std::to_string(keys.size() + 1),
                                  k(std::move(position_key))};
    for (auto& key : keys) args.push_back(k(std::move(key)));
    args.push_back(std::move(position));
    auto reply = co_await client_->command(std::move(args));
    if (reply && reply->type == redis::Reply::Type::kError) spdlog::warn("cache: forgetting keys: {}", reply->str);
  }

 private:
  std::string k(std::string key) const {
    if (prefix_.empty()) return key;
    return prefix_ + key;
  }

  std::shared_ptr<redis::Client> client_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<Store> make_redis_store(std::shared_ptr<redis::Client> client, std::string key_prefix) {
  return std::make_unique<RedisStore>(std::move(client), std::move(key_prefix));
}

}  // namespace mc::cache
