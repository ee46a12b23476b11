// The Signature Version 4 signer against fixed vectors: two of AWS's own test suite, written out here, and
// every case of sigv4_vectors.json, which AWS's JavaScript signer (@smithy/signature-v4) produced
// (make-vectors.mjs; script/test checks the file is still what that signer says).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "dynamodb/sigv4.hpp"

namespace mc::dynamodb {
namespace {

namespace json = boost::json;

std::chrono::system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  using namespace std::chrono;
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

const Credentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

std::string header(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(SigV4, AwsTestSuiteGetVanilla) {
  HttpRequest req{"GET", "/", {}, {{"Host", "example.amazonaws.com"}}, ""};
  sign(req, kExample, {"us-east-1", "service"}, at(2015, 8, 30, 12, 36, 0));
  EXPECT_EQ(header(req, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header(req, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, AwsTestSuitePostVanilla) {
  HttpRequest req{"POST", "/", {}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, ""};
  EXPECT_EQ(canonical_request(req),
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signature(req, kExample, {"us-east-1", "service"}, "20150830T123600Z"),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(uri_encode("a b/c=d+"), "a%20b%2Fc%3Dd%2B");
  EXPECT_EQ(uri_encode("점"), "%EC%A0%90");
}

TEST(SigV4, ADifferentBodyOrKeyIsADifferentSignature) {
  HttpRequest a{"POST", "/", {}, {{"Host", "h"}, {"X-Amz-Date", "20260101T000000Z"}}, "{}"};
  HttpRequest b = a;
  b.body = "{ }";
  const Scope scope{"us-east-1", "dynamodb"};
  EXPECT_NE(signature(a, kExample, scope, "20260101T000000Z"), signature(b, kExample, scope, "20260101T000000Z"));
  Credentials other = kExample;
  other.secret_access_key += "x";
  EXPECT_NE(signature(a, kExample, scope, "20260101T000000Z"), signature(a, other, scope, "20260101T000000Z"));
}

// "2026-12-02T11:30:00Z"
std::chrono::system_clock::time_point parse_date(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(s.substr(pos, len))); };
  return at(num(0, 4), static_cast<unsigned>(num(5, 2)), static_cast<unsigned>(num(8, 2)), num(11, 2), num(14, 2),
            num(17, 2));
}

TEST(SigV4, VectorsOfTheJavaScriptSigner) {
  std::ifstream in(std::string(MYCLOTHES_SOURCE_DIR) + "/tests/unit/dynamodb/sigv4_vectors.json");
  ASSERT_TRUE(in) << "tests/unit/dynamodb/sigv4_vectors.json";
  std::stringstream text;
  text << in.rdbuf();
  const auto vectors = json::parse(text.str()).as_array();
  ASSERT_GE(vectors.size(), 7U);
  for (const auto& v : vectors) {
    const auto& c = v.as_object();
    SCOPED_TRACE(json::value_to<std::string>(c.at("name")));
    const auto& cr = c.at("credentials").as_object();
    const Credentials creds{json::value_to<std::string>(cr.at("access_key_id")),
                            json::value_to<std::string>(cr.at("secret_access_key")),
                            json::value_to<std::string>(cr.at("session_token"))};
    const auto& r = c.at("request").as_object();
    HttpRequest req;
    req.method = json::value_to<std::string>(r.at("method"));
    req.path = json::value_to<std::string>(r.at("path"));
    for (const auto& [k, val] : r.at("query").as_object()) req.query.emplace_back(k, json::value_to<std::string>(val));
    for (const auto& [k, val] : r.at("headers").as_object())
      req.headers.emplace_back(k, json::value_to<std::string>(val));
    req.body = json::value_to<std::string>(r.at("body"));

    sign(req, creds, {json::value_to<std::string>(c.at("region")), json::value_to<std::string>(c.at("service"))},
         parse_date(json::value_to<std::string>(c.at("date"))));
    const auto& added = c.at("added").as_object();
    EXPECT_EQ(header(req, "Authorization"), json::value_to<std::string>(added.at("authorization")));
    EXPECT_EQ(header(req, "X-Amz-Date"), json::value_to<std::string>(added.at("x-amz-date")));
    if (added.contains("x-amz-security-token")) {
      EXPECT_EQ(header(req, "X-Amz-Security-Token"), json::value_to<std::string>(added.at("x-amz-security-token")));
    }
  }
}

}  // namespace
}  // namespace mc::dynamodb
