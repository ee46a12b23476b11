#pragma once

// AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
// for the DynamoDB client: the canonical request, the string to sign, the derived key and the headers a
// signed request carries. Pure functions of the request, the credentials and the time, so they are tested
// against fixed vectors (AWS's test suite, and vectors made by AWS's JavaScript signer: tests/unit/dynamodb).
// DynamoDB Local does not check signatures; real DynamoDB does.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::dynamodb {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials (instance profile, STS); empty for long-term keys
};

// What is signed: the method, the path (already URI-encoded as sent, "/" for DynamoDB), the query as
// name/value pairs (not yet encoded), the headers as sent (every one is signed) and the body.
struct HttpRequest {
  std::string method = "POST";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Scope {
  std::string region;   // e.g. us-east-1
  std::string service;  // e.g. dynamodb
};

// "20150830T123600Z": the X-Amz-Date of `t` (UTC).
std::string amz_date(std::chrono::system_clock::time_point t);
// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, everything else %XX (uppercase).
std::string uri_encode(std::string_view s);

// The steps, each exposed so a failing vector says which one differs.
std::string canonical_request(const HttpRequest& req);
std::string signed_header_names(const HttpRequest& req);  // "content-type;host;x-amz-date"
std::string string_to_sign(const HttpRequest& req, const Scope& scope, std::string_view date_time);
std::string signature(const HttpRequest& req, const Credentials& creds, const Scope& scope, std::string_view date_time);

// Signs `req` in place at time `now`: adds X-Amz-Date, X-Amz-Security-Token (temporary credentials) and
// Authorization. The request must already carry Host and every other header it is sent with.
void sign(HttpRequest& req, const Credentials& creds, const Scope& scope, std::chrono::system_clock::time_point now);

}  // namespace mc::dynamodb
