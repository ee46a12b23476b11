#include "dynamodb/sigv4.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace mc::dynamodb {
namespace {

using Digest = std::array<unsigned char, 32>;

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0x0F];
  }
  return out;
}

Digest hmac(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &len) == nullptr ||
      len != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

std::string_view as_text(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A header value as SigV4 canonicalises it: leading and trailing blanks gone, inner runs of blanks one space.
std::string trim_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

// The headers lowercased and sorted by name, values trimmed; repeated names joined with commas.
std::vector<std::pair<std::string, std::string>> canonical_headers(const HttpRequest& req) {
  std::vector<std::pair<std::string, std::string>> hs;
  hs.reserve(req.headers.size());
  for (const auto& [name, value] : req.headers) hs.emplace_back(lower(name), trim_value(value));
  std::stable_sort(hs.begin(), hs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& h : hs) {
    if (!merged.empty() && merged.back().first == h.first) {
      merged.back().second += "," + h.second;
    } else {
      merged.push_back(std::move(h));
    }
  }
  return merged;
}

std::string credential_scope(const Scope& scope, std::string_view date_time) {
  return fmt::format("{}/{}/{}/aws4_request", date_time.substr(0, 8), scope.region, scope.service);
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(t));
}

std::string sha256_hex(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex(out.data(), len);
}

std::string uri_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string signed_header_names(const HttpRequest& req) {
  std::string out;
  for (const auto& [name, value] : canonical_headers(req)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string canonical_request(const HttpRequest& req) {
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(req.query.size());
  for (const auto& [k, v] : req.query) query.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(query.begin(), query.end());
  std::string query_text;
  for (const auto& [k, v] : query) query_text += fmt::format("{}{}={}", query_text.empty() ? "" : "&", k, v);

  std::string headers_text;
  for (const auto& [name, value] : canonical_headers(req)) headers_text += fmt::format("{}:{}\n", name, value);
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", req.method, req.path.empty() ? "/" : req.path, query_text, headers_text,
                     signed_header_names(req), sha256_hex(req.body));
}

std::string string_to_sign(const HttpRequest& req, const Scope& scope, std::string_view date_time) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date_time, credential_scope(scope, date_time),
                     sha256_hex(canonical_request(req)));
}

std::string signature(const HttpRequest& req, const Credentials& creds, const Scope& scope,
                      std::string_view date_time) {
  const auto k_date = hmac("AWS4" + creds.secret_access_key, date_time.substr(0, 8));
  const auto k_region = hmac(as_text(k_date), scope.region);
  const auto k_service = hmac(as_text(k_region), scope.service);
  const auto k_signing = hmac(as_text(k_service), "aws4_request");
  const auto sig = hmac(as_text(k_signing), string_to_sign(req, scope, date_time));
  return to_hex(sig.data(), sig.size());
}

void sign(HttpRequest& req, const Credentials& creds, const Scope& scope, std::chrono::system_clock::time_point now) {
  const auto date_time = amz_date(now);
  req.headers.emplace_back("X-Amz-Date", date_time);
  if (!creds.session_token.empty()) req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  req.headers.emplace_back(
      "Authorization", fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                                   creds.access_key_id, credential_scope(scope, date_time), signed_header_names(req),
                                   signature(req, creds, scope, date_time)));
}

}  // namespace mc::dynamodb
