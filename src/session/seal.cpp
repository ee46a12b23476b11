#include "session/seal.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <memory>
#include <set>
#include <stdexcept>

#include "core/ids.hpp"

namespace mc::session::detail {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kFixedBytes = 2 + kNonceBytes + kTagBytes;  // version, key id length, nonce, tag

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes_of(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

bool parse_number(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  if (text.size() > 1 && text.front() == '0') return false;  // one spelling per number
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Splits `text` at the first `sep`: `head` before it, `text` after it; false when there is none.
bool take(std::string_view& text, char sep, std::string_view& head) {
  const auto at = text.find(sep);
  if (at == std::string_view::npos) return false;
  head = text.substr(0, at);
  text.remove_prefix(at + 1);
  return true;
}

}  // namespace

std::size_t sealed_chars(std::size_t key_id_chars, std::size_t plaintext_bytes) {
  const std::size_t n = kFixedBytes + key_id_chars + plaintext_bytes;
  return (n * 4 + 2) / 3;  // unpadded base64
}

std::string seal(const CookieKey& key, std::string_view plaintext) {
  if (key.id.empty() || key.id.size() > kMaxKeyIdChars) throw std::invalid_argument("cookie key id of bad length");
  const std::size_t header = 2 + key.id.size();
  std::string out(header + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = static_cast<char>(kSealVersion);
  out[1] = static_cast<char>(key.id.size());
  out.replace(2, key.id.size(), key.id);
  unsigned char* nonce = bytes_of(out) + header;
  random_bytes(std::span<unsigned char>(nonce, kNonceBytes));
  unsigned char* cipher = nonce + kNonceBytes;
  unsigned char* tag = cipher + plaintext.size();

  auto ctx = new_ctx();
  int len = 0;
  const bool ok =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.key.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes_of(out), static_cast<int>(header)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), cipher, &len, bytes_of(plaintext), static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM seal failed");
  return base64url_encode(std::span<const unsigned char>(bytes_of(out), out.size()));
}

std::string_view reason(OpenError e) {
  switch (e) {
    case OpenError::kMalformed:
      return "malformed";
    case OpenError::kUnknownKey:
      return "unknown_key";
    case OpenError::kTampered:
      return "tampered";
  }
  return "malformed";
}

Expected<std::string, OpenError> open(std::span<const CookieKey> keys, std::string_view text, std::size_t max_chars) {
  if (text.size() > max_chars) return Unexpected(OpenError::kMalformed);
  std::string raw;
  if (!base64url_decode(text, raw)) return Unexpected(OpenError::kMalformed);
  if (raw.size() < kFixedBytes + 1) return Unexpected(OpenError::kMalformed);
  if (static_cast<unsigned char>(raw[0]) != kSealVersion) return Unexpected(OpenError::kMalformed);
  const std::size_t id_len = static_cast<unsigned char>(raw[1]);
  if (id_len == 0 || id_len > kMaxKeyIdChars || raw.size() < kFixedBytes + id_len) {
    return Unexpected(OpenError::kMalformed);
  }
  const std::string_view id = std::string_view(raw).substr(2, id_len);
  const CookieKey* key = nullptr;
  for (const auto& k : keys) {
    if (k.id == id) {
      key = &k;
      break;
    }
  }
  if (key == nullptr) return Unexpected(OpenError::kUnknownKey);

  const std::size_t header = 2 + id_len;
  const std::size_t cipher_len = raw.size() - header - kNonceBytes - kTagBytes;
  unsigned char* nonce = bytes_of(raw) + header;
  unsigned char* cipher = nonce + kNonceBytes;
  unsigned char* tag = cipher + cipher_len;
  std::string plain(cipher_len, '\0');

  auto ctx = new_ctx();
  int len = 0;
  const bool setup =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key->key.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes_of(raw), static_cast<int>(header)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), bytes_of(plain), &len, cipher, static_cast<int>(cipher_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  if (!setup) throw std::runtime_error("AES-256-GCM open failed");
  // Nothing of the plaintext counts before the tag verifies.
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), bytes_of(plain) + len, &final_len) != 1) return Unexpected(OpenError::kTampered);
  return plain;
}

bool valid_sku(std::string_view sku) {
  if (sku.empty() || sku.size() > kMaxSkuChars) return false;
  for (char c : sku) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string encode_state(const State& state) {
  std::string out(kPurpose);
  out.reserve(out.size() + 40 + state.lines.size() * 18);
  out += '|';
  out += std::to_string(state.issued_at);
  out += '|';
  out += std::to_string(state.expires_at);
  out += '|';
  out += std::to_string(state.user_id);
  out += '|';
  for (std::size_t i = 0; i < state.lines.size(); ++i) {
    if (i > 0) out += ',';
    out += state.lines[i].sku;
    out += ':';
    out += std::to_string(state.lines[i].qty);
  }
  return out;
}

std::optional<State> decode_state(std::string_view text) {
  std::string_view purpose, issued, expires, user;
  if (!take(text, '|', purpose) || purpose != kPurpose) return std::nullopt;
  if (!take(text, '|', issued) || !take(text, '|', expires) || !take(text, '|', user)) return std::nullopt;
  State state;
  if (!parse_number(issued, state.issued_at) || !parse_number(expires, state.expires_at) ||
      !parse_number(user, state.user_id)) {
    return std::nullopt;
  }
  if (state.issued_at <= 0 || state.expires_at <= state.issued_at) return std::nullopt;
  if (text.empty()) return state;
  std::set<std::string_view> seen;
  while (true) {
    std::string_view line;
    const bool more = take(text, ',', line);
    if (!more) line = text;
    std::string_view sku;
    if (!take(line, ':', sku) || !valid_sku(sku) || !seen.insert(sku).second) return std::nullopt;
    std::int64_t qty = 0;
    if (!parse_number(line, qty) || qty < 1 || qty > kMaxQty) return std::nullopt;
    state.lines.push_back(CartLine{std::string(sku), static_cast<int>(qty)});
    if (!more) break;
  }
  return state;
}

}  // namespace mc::session::detail
