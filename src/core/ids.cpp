#include "core/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace mc {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

void random_bytes(std::span<unsigned char> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw std::runtime_error("CSPRNG failure (RAND_bytes)");
  }
}

std::string base64url_encode(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t n = bytes[i] << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
  } else if (rest == 2) {
    const std::uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

bool base64url_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Unused low bits must be zero, so every byte string has exactly one encoding.
  return (acc & ((1u << bits) - 1)) == 0;
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  random_bytes(buf);
  return base64url_encode(buf);
}

std::string next_request_id() {
  // A random per-process prefix plus a counter: unique across instances, cheap on the hot path.
  static const std::string prefix = random_token(6);
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  std::array<unsigned char, 8> b{};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(n >> (56 - 8 * i));
  return prefix + "-" + base64url_encode(b);
}

}  // namespace mc
