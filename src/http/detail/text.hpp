#pragma once

// Small string helpers shared by the HTTP layer's .cpp files. No Beast or Asio here.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace mc::http::detail {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Header names and tokens are ASCII and case-insensitive (RFC 9110 §5.1).
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Appends `in` as the inside of a JSON string literal (RFC 8259 escaping of '"', '\\' and controls).
void append_json_escaped(std::string& out, std::string_view in);

// Headers the middleware puts on every response, and the server on the errors it answers by itself.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'";

struct StaticHeader {
  std::string_view name;
  std::string_view value;
};
inline constexpr std::array<StaticHeader, 4> kSecurityHeaders{{
    {"Content-Security-Policy", kContentSecurityPolicy},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "strict-origin-when-cross-origin"},
    {"X-Frame-Options", "DENY"},
}};

// "/api/..." (and "/api" itself) answers errors as JSON; everything else as HTML.
constexpr bool is_api_path(std::string_view path) { return path == "/api" || path.substr(0, 5) == "/api/"; }

}  // namespace mc::http::detail
