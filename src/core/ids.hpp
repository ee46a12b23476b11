#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace mc {

// Fills `out` from the operating system's CSPRNG (OpenSSL RAND_bytes); throws if it cannot.
void random_bytes(std::span<unsigned char> out);

// URL-safe base64 without padding (RFC 4648 §5).
std::string base64url_encode(std::span<const unsigned char> bytes);
// Empty optional-like result: returns false when `text` is not valid unpadded base64url.
bool base64url_decode(std::string_view text, std::string& out);

// A random identifier of `bytes` CSPRNG bytes, base64url-encoded.
std::string random_token(std::size_t bytes);

// A short, unique-enough id for correlating one request across logs (not a secret).
std::string next_request_id();

}  // namespace mc
