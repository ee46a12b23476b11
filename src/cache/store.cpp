// The Store operations' portable defaults, and the null store. The defaults compose the six basic
// operations; they are not atomic, which is fine for stores one thread uses alone (the null store, test
// fakes). The Redis store overrides every one of them with a single command or script.

#include "cache/cache.hpp"

namespace mc::cache {
namespace {

constexpr std::string_view kNoPosition = "0000000000000000";

class NullStore final : public Store {
 public:
  Task<std::optional<std::string>> get(std::string) override { co_return std::nullopt; }
  Task<void> set(std::string, std::string, std::chrono::milliseconds) override { co_return; }
  Task<void> del(std::vector<std::string>) override { co_return; }
  Task<std::int64_t> get_counter(std::string) override { co_return 0; }
  Task<std::int64_t> incr(std::string) override { co_return 0; }
  bool available() const override { return false; }
};

}  // namespace

Task<std::optional<std::vector<std::optional<std::string>>>> Store::get_many(std::vector<std::string> keys) {
  std::vector<std::optional<std::string>> values;
  values.reserve(keys.size());
  for (auto& k : keys) {
    auto value = co_await get(std::move(k));
    values.push_back(std::move(value));
  }
  co_return values;
}

Task<void> Store::set_unless_moved(std::string key, std::string value, std::chrono::milliseconds ttl, std::string guard,
                                   std::int64_t expected) {
  const std::int64_t now = co_await get_counter(std::move(guard));
  if (now != expected) co_return;
  co_await set(std::move(key), std::move(value), ttl);
}

Task<LockResult> Store::try_lock(std::string, std::string, std::chrono::milliseconds) {
  co_return LockResult::kUnavailable;
}

Task<void> Store::unlock(std::string, std::string) { co_return; }

Task<void> Store::forget(std::vector<std::string> keys, std::string position_key, std::string position) {
  auto previous = co_await get(position_key);
  const std::string before = previous && previous->size() == kNoPosition.size() ? *previous : std::string(kNoPosition);
  if (position > before) co_await set(std::move(position_key), std::move(position), std::chrono::hours(24 * 365));
  co_await del(std::move(keys));
}

Task<bool> Store::publish(Publication p) {
  auto previous = co_await get(p.position_key);
  const std::string before = previous && previous->size() == kNoPosition.size() ? *previous : std::string(kNoPosition);
  // Fixed-width upper-case hex: comparing the text compares the positions.
  if (p.position > before) {
    co_await set(p.position_key, p.position, std::chrono::hours(24 * 365));
    co_await set(p.key, std::move(p.value), p.ttl);
  } else {
    std::vector<std::string> keys{p.key};
    co_await del(std::move(keys));
  }
  co_await incr(std::move(p.version_key));
  co_return true;
}

std::unique_ptr<Store> make_null_store() { return std::make_unique<NullStore>(); }

std::unique_ptr<Store> make_catalog_store(const CacheConfig& config, std::shared_ptr<redis::Client> client,
                                          std::string key_prefix) {
  if (!config.enabled || !client) return make_null_store();
  return make_redis_store(std::move(client), std::move(key_prefix));
}

}  // namespace mc::cache
