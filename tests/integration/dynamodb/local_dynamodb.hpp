#pragma once

// DynamoDB Local as script/test starts it (deploy/local/dynamodb/server; MYCLOTHES_DYNAMODB_ENDPOINT and
// _TABLE): the client's options for it and the table's name, or a failure that says how to run.

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "dynamodb/client.hpp"

namespace mc::dynamodb::testing {

struct LocalDynamodb {
  ClientOptions options;
  std::string table;
};

inline std::optional<LocalDynamodb> local_dynamodb() {
  const char* endpoint = std::getenv("MYCLOTHES_DYNAMODB_ENDPOINT");
  const char* table = std::getenv("MYCLOTHES_DYNAMODB_TABLE");
  if (!endpoint || !table) {
    ADD_FAILURE() << "run under script/test, or: deploy/local/dynamodb/server start && eval "
                     "\"$(deploy/local/dynamodb/server env)\"";
    return std::nullopt;
  }
  auto e = parse_endpoint(endpoint, "us-east-1");
  if (!e) {
    ADD_FAILURE() << e.error();
    return std::nullopt;
  }
  LocalDynamodb local{{}, table};
  local.options.endpoint = *e;
  local.options.credentials = [] { return Credentials{"local", "local", ""}; };  // DynamoDB Local checks none
  return local;
}

}  // namespace mc::dynamodb::testing
