#include <spdlog/spdlog.h>

#include <cstdlib>
#include <vector>

#include "account/login_limiter.hpp"
#include "redis/client.hpp"

namespace mc::account {
namespace {

constexpr std::string_view kClientKey = "mc:rl:login:client:";
constexpr std::string_view kAccountKey = "mc:rl:login:account:";
constexpr std::string_view kPairKey = "mc:rl:login:pair:";

std::string pair_key(const std::string& account, const std::string& client) {
  return std::string(kPairKey) + account + "|" + client;
}

class RedisLoginLimiter final : public LoginLimiter {
 public:
  explicit RedisLoginLimiter(std::shared_ptr<redis::Client> client) : client_(std::move(client)) {}

  Task<bool> client_over_limit(std::string client) override {
    co_return co_await count(std::string(kClientKey) + client, kClientAttempts, true);
  }
  Task<bool> locked_for(std::string account, std::string client) override {
    // Awaited into a variable: GCC 12 miscompiles a co_await that is the operand of an operator.
    const bool locked = co_await count(std::string(kAccountKey) + account, kAccountAttempts, false);
    if (!locked) co_return false;
    const bool guessed = co_await count(pair_key(account, client), kLockedClientFailures, false);
    co_return guessed;
  }
  Task<void> failed(std::string account, std::string client) override {
    co_await count(pair_key(account, client), kLockedClientFailures, true);
    co_await count(std::string(kAccountKey) + account, kAccountAttempts, true);
  }
  Task<void> succeeded(std::string account, std::string client) override {
    std::vector<std::string> args{"DEL", std::string(kAccountKey) + account, pair_key(account, client)};
    co_await client_->command(std::move(args));
  }

 private:
  // With `add`: counts one more attempt (the first starts the window) and says whether that made more than
  // `limit`; without: whether `limit` is reached. false when Redis does not answer.
  // One more attempt on the counter; the first starts its window.
  static constexpr std::string_view kCountScript =
      "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n";

  Task<bool> count(std::string key, int limit, bool add) {
    std::vector<std::string> args;
    if (add) {
      args = {"EVAL", std::string(kCountScript), "1", std::move(key), std::to_string(kWindowSeconds)};
    } else {
      args = {"GET", std::move(key)};
    }
    auto reply = co_await client_->command(std::move(args));
    if (!reply) {
      spdlog::warn("login rate limit unavailable: {}", reply.error().message);
      co_return false;
    }
    const long long n = reply->type == redis::Reply::Type::kInteger  ? reply->integer
                        : reply->type == redis::Reply::Type::kString ? std::atoll(reply->str.c_str())
                                                                     : 0;
    co_return add ? n > limit : n >= limit;
  }

  std::shared_ptr<redis::Client> client_;
};

}  // namespace

std::unique_ptr<LoginLimiter> make_redis_login_limiter(std::shared_ptr<redis::Client> client) {
  return std::make_unique<RedisLoginLimiter>(std::move(client));
}

}  // namespace mc::account
