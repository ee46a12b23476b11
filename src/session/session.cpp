#include "session/session.hpp"

#include <array>

#include "core/ids.hpp"

namespace mc::session {

namespace {
constexpr std::size_t kIdBytes = 32;
constexpr std::size_t kIdChars = 43;  // ceil(32 * 8 / 6), unpadded
}  // namespace

std::string new_id() { return random_token(kIdBytes); }

bool valid_id(std::string_view text) {
  if (text.size() != kIdChars) return false;
  std::string bytes;
  return base64url_decode(text, bytes) && bytes.size() == kIdBytes;
}

}  // namespace mc::session
