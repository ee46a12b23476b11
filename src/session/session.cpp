#include "session/session.hpp"

#include <array>

#include "core/ids.hpp"

namespace mc::session {

namespace {
constexpr std::size_t kIdBytes = 32;
constexpr std::size_t kIdChars = 43;  // ceil(32 * 8 / 6), unpadded
constexpr std::chrono::seconds kCookieMaxAge{30 * 24 * 3600};
}  // namespace

std::chrono::seconds SessionStore::cookie_max_age(const Session&) const { return kCookieMaxAge; }

std::string new_id() { return random_token(kIdBytes); }

bool valid_id(std::string_view text) {
  if (text.size() != kIdChars) return false;
  std::string bytes;
  return base64url_decode(text, bytes) && bytes.size() == kIdBytes;
}

}  // namespace mc::session
