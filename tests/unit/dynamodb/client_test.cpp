// The client's pure parts: endpoints, credentials from the environment, and what is worth a retry.
#include <gtest/gtest.h>

#include <map>

#include "dynamodb/client.hpp"

namespace mc::dynamodb {
namespace {

TEST(DynamodbEndpoint, HostPortAndTheHostHeader) {
  auto e = parse_endpoint("http://127.0.0.1:25490", "us-east-1");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 25490);
  EXPECT_EQ(e->host_header, "127.0.0.1:25490");
  auto plain = parse_endpoint("http://dynamodb.local/", "us-east-1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->host_header, "dynamodb.local");
}

TEST(DynamodbEndpoint, WhatItRefusesSaysWhy) {
  EXPECT_FALSE(parse_endpoint("", "us-east-1"));
  EXPECT_FALSE(parse_endpoint("ftp://x", "us-east-1"));
  EXPECT_FALSE(parse_endpoint("http://x:0", "us-east-1"));
  EXPECT_FALSE(parse_endpoint("http://x:70000", "us-east-1"));
  EXPECT_FALSE(parse_endpoint("http://x:12a", "us-east-1"));
  EXPECT_FALSE(parse_endpoint("http://x/path", "us-east-1"));
  auto tls = parse_endpoint("https://dynamodb.us-east-1.amazonaws.com", "us-east-1");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().find("https"), std::string::npos);
}

TEST(DynamodbCredentials, FromTheEnvironmentAsTheSdksReadThem) {
  std::map<std::string, std::string> env{{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "secret"}};
  auto lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = credentials_from_environment(lookup);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->session_token, "");
  env["AWS_SESSION_TOKEN"] = "token";
  EXPECT_EQ(credentials_from_environment(lookup)->session_token, "token");
  env.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_FALSE(credentials_from_environment(lookup));
}

TEST(DynamodbRetry, ThrottlingAndServerErrorsOnly) {
  EXPECT_TRUE(retryable(500, ""));
  EXPECT_TRUE(retryable(503, ""));
  EXPECT_TRUE(retryable(400, "ProvisionedThroughputExceededException"));
  EXPECT_TRUE(retryable(400, "ThrottlingException"));
  EXPECT_FALSE(retryable(400, "ConditionalCheckFailedException"));
  EXPECT_FALSE(retryable(400, "ValidationException"));
  EXPECT_FALSE(retryable(400, "TransactionCanceledException"));
}

}  // namespace
}  // namespace mc::dynamodb
