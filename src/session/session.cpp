#include "session/session.hpp"

#include <array>

#include "core/ids.hpp"

namespace mc::session {

namespace {
constexpr std::size_t kIdBytes = 32;
constexpr std::size_t kIdChars = 43;  // ceil(32 * 8 / 6), unpadded
constexpr std::chrono::seconds kCookieMaxAge{30 * 24 * 3600};

class NoStore final : public SessionStore {
 public:
  Task<std::optional<Session>> find(std::string) override { co_return std::nullopt; }
  Task<Session> create() override { throw none(); }
  Task<std::vector<CartLine>> cart(const Session&) override { throw none(); }
  Task<CartSnapshot> snapshot(const Session&) override { throw none(); }
  Task<AddResult> add(Session&, std::string, int, int, int) override { throw none(); }
  Task<bool> set(Session&, std::string, int) override { throw none(); }
  Task<void> clear_cart(Session&) override { throw none(); }
  Task<Session> rotate(const Session&, std::int64_t) override { throw none(); }
  Task<void> merge_into_user(Session&, std::int64_t, std::vector<CartLine>) override { throw none(); }

 private:
  static Unavailable none() { return Unavailable("this instance has no session store (redis.enabled = false)"); }
};

}  // namespace

std::unique_ptr<SessionStore> make_no_store() { return std::make_unique<NoStore>(); }

std::chrono::seconds SessionStore::cookie_max_age(const Session&) const { return kCookieMaxAge; }

std::string new_id() { return random_token(kIdBytes); }

bool valid_id(std::string_view text) {
  if (text.size() != kIdChars) return false;
  std::string bytes;
  return base64url_decode(text, bytes) && bytes.size() == kIdBytes;
}

}  // namespace mc::session
