#pragma once

// The pieces of mode `cookie` that unit tests call on their own: the AES-256-GCM seal around the cookie's
// bytes, and the compact text of the state inside it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "session/session.hpp"

namespace mc::session::detail {

// Sealed bytes: version (1) | key id length (1) | key id | nonce (12) | ciphertext | tag (16), all of it
// base64url without padding. Version, length and key id travel in clear and are authenticated (AAD).
inline constexpr unsigned char kSealVersion = 1;
inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kMaxKeyIdChars = 16;

// The characters of the sealed text for a plaintext of `plaintext_bytes` under a key id of `key_id_chars`.
std::size_t sealed_chars(std::size_t key_id_chars, std::size_t plaintext_bytes);

// Seals `plaintext` under `key` with a fresh random nonce.
std::string seal(const CookieKey& key, std::string_view plaintext);

enum class OpenError {
  kMalformed,   // not base64url, too short, too long, an unknown version or a bad key id length
  kUnknownKey,  // sealed under a key id none of `keys` has
  kTampered,    // the tag does not verify
};
std::string_view reason(OpenError e);  // "malformed", "unknown_key", "tampered"

// The plaintext of `text` when one of `keys` (matched by id) sealed it and nothing changed since; texts
// longer than `max_chars` are malformed without being decoded.
Expected<std::string, OpenError> open(std::span<const CookieKey> keys, std::string_view text, std::size_t max_chars);

// What the cookie carries. Cart lines are SKU and quantity only: names and prices come from the catalog.
inline constexpr std::string_view kPurpose = "mc_state/1";
inline constexpr std::size_t kMaxSkuChars = 64;
inline constexpr int kMaxQty = 99;

struct State {
  std::int64_t issued_at = 0;   // unix seconds
  std::int64_t expires_at = 0;  // unix seconds
  std::int64_t user_id = 0;     // 0: a guest
  std::vector<CartLine> lines;
};

// "mc_state/1|{issued_at}|{expires_at}|{user_id}|{sku}:{qty},{sku}:{qty}..." (no lines: nothing after the
// last '|'). Numbers are canonical decimals.
std::string encode_state(const State& state);
// The state of `text`, or nullopt unless every field is as encode_state writes it: the purpose, canonical
// numbers, expires_at > issued_at > 0, SKUs of 1..64 characters [A-Za-z0-9-], quantities 1..99, no SKU twice.
std::optional<State> decode_state(std::string_view text);

bool valid_sku(std::string_view sku);

}  // namespace mc::session::detail
