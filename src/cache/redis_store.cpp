// The cache store on Redis. Every failure (disconnected, timed out, an error reply) reads as a miss or
// a no-op: the cache speeds reads up but never decides whether one succeeds.
#include <charconv>

#include "cache/cache.hpp"
#include "redis/client.hpp"

namespace mc::cache {
namespace {

class RedisStore final : public Store {
 public:
  explicit RedisStore(std::shared_ptr<redis::Client> client) : client_(std::move(client)) {}

  Task<std::optional<std::string>> get(std::string key) override {
    std::vector<std::string> args{"GET", std::move(key)};
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kString) co_return std::nullopt;
    co_return std::move(reply->str);
  }

  Task<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override {
    std::vector<std::string> args{"SET", std::move(key), std::move(value), "PX",
                                  std::to_string(std::max<long long>(1, ttl.count()))};
    co_await client_->command(std::move(args));
  }

  Task<void> del(std::vector<std::string> keys) override {
    if (keys.empty()) co_return;
    std::vector<std::string> args;
    args.reserve(keys.size() + 1);
    args.emplace_back("DEL");
    for (auto& k : keys) args.push_back(std::move(k));
    co_await client_->command(std::move(args));
  }

  Task<std::int64_t> get_counter(std::string key) override {
    std::vector<std::string> args{"GET", std::move(key)};
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kString) co_return 0;
    std::int64_t value = 0;
    const auto* end = reply->str.data() + reply->str.size();
    if (std::from_chars(reply->str.data(), end, value).ptr != end) co_return 0;
    co_return value;
  }

  Task<std::int64_t> incr(std::string key) override {
    std::vector<std::string> args{"INCR", std::move(key)};
    auto reply = co_await client_->command(std::move(args));
    if (!reply || reply->type != redis::Reply::Type::kInteger) co_return 0;
    co_return reply->integer;
  }

  bool available() const override { return client_->connected(); }

 private:
  std::shared_ptr<redis::Client> client_;
};

}  // namespace

std::unique_ptr<Store> make_redis_store(std::shared_ptr<redis::Client> client) {
  return std::make_unique<RedisStore>(std::move(client));
}

}  // namespace mc::cache
