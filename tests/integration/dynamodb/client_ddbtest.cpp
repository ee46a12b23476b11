// The DynamoDB client against DynamoDB Local (deploy/local/dynamodb/server, started by script/test; its
// settings in MYCLOTHES_DYNAMODB_ENDPOINT / _TABLE): items round-trip, a failed condition and a cancelled
// transaction are the service's errors (with their reasons), a server that is not there is Unavailable within
// the attempts' deadlines, and the connection is kept alive between calls.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "dynamodb/client.hpp"
#include "integration/dynamodb/local_dynamodb.hpp"
#include "integration/io_loop_test.hpp"

namespace mc::dynamodb {
namespace {

namespace json = boost::json;

class DynamodbClientTest : public mc::testing::IoLoopTest {
 protected:
  void SetUp() override {
    auto local = testing::local_dynamodb();
    ASSERT_TRUE(local);
    table_ = local->table;
    options_ = local->options;
    client_ = make_client(io_, options_);
  }

  json::object key(const std::string& pk) { return {{"TableName", table_}, {"Key", {{"pk", {{"S", pk}}}}}}; }

  std::string table_;
  ClientOptions options_;
  std::unique_ptr<Client> client_;
};

TEST_F(DynamodbClientTest, PutThenGetRoundTripsAnItem) {
  const std::string pk = "test#" + random_token(9);
  json::object put{{"TableName", table_},
                   {"Item", {{"pk", {{"S", pk}}}, {"name", {{"S", "항공 점퍼"}}}, {"qty", {{"N", "3"}}}}}};
  auto written = run(client_->call("PutItem", put));
  ASSERT_TRUE(written) << written.error().message;

  auto get = key(pk);
  get["ConsistentRead"] = true;
  auto read = run(client_->call("GetItem", get));
  ASSERT_TRUE(read) << read.error().message;
  const auto& item = read->at("Item").as_object();
  EXPECT_EQ(item.at("name").at("S").as_string(), "항공 점퍼");
  EXPECT_EQ(item.at("qty").at("N").as_string(), "3");

  auto missing = run(client_->call("GetItem", key(pk + "-none")));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->contains("Item"));
}

TEST_F(DynamodbClientTest, AFailedConditionIsTheServicesErrorAndChangesNothing) {
  const std::string pk = "test#" + random_token(9);
  json::object put{{"TableName", table_}, {"Item", {{"pk", {{"S", pk}}}, {"v", {{"S", "1"}}}}}};
  ASSERT_TRUE(run(client_->call("PutItem", put)));
  json::object again{{"TableName", table_},
                     {"Item", {{"pk", {{"S", pk}}}, {"v", {{"S", "2"}}}}},
                     {"ConditionExpression", "attribute_not_exists(pk)"}};
  auto refused = run(client_->call("PutItem", again));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, Error::Kind::kService);
  EXPECT_EQ(refused.error().type, "ConditionalCheckFailedException");
  EXPECT_EQ(refused.error().status, 400);

  auto get = key(pk);
  get["ConsistentRead"] = true;
  auto read = run(client_->call("GetItem", get));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->at("Item").at("v").at("S").as_string(), "1");
}

TEST_F(DynamodbClientTest, ACancelledTransactionSaysWhichConditionFailed) {
  const std::string a = "test#" + random_token(9);
  const std::string b = "test#" + random_token(9);
  ASSERT_TRUE(run(client_->call("PutItem", {{"TableName", table_}, {"Item", {{"pk", {{"S", b}}}}}})));
  json::array items;
  items.push_back(json::object{{"Put", {{"TableName", table_}, {"Item", {{"pk", {{"S", a}}}}}}}});
  items.push_back(json::object{
      {"Put",
       {{"TableName", table_}, {"Item", {{"pk", {{"S", b}}}}}, {"ConditionExpression", "attribute_not_exists(pk)"}}}});
  auto cancelled = run(client_->call("TransactWriteItems", {{"TransactItems", items}}));
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().type, "TransactionCanceledException");
  const auto& reasons = cancelled.error().body.at("CancellationReasons").as_array();
  ASSERT_EQ(reasons.size(), 2U);
  EXPECT_EQ(reasons[1].at("Code").as_string(), "ConditionalCheckFailed");

  auto get = key(a);
  get["ConsistentRead"] = true;
  auto read = run(client_->call("GetItem", get));
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->contains("Item")) << "nothing of a cancelled transaction is written";
}

TEST_F(DynamodbClientTest, ManyCallsInARowOnKeptAliveConnections) {
  auto& opened = metrics::registry().counter("myclothes_dynamodb_connections_total");
  const auto before = opened.value();
  for (int i = 0; i < 200; ++i) {
    auto r = run(client_->call("GetItem", key("test#keepalive")));
    ASSERT_TRUE(r) << i << ": " << r.error().message;
  }
  EXPECT_LE(opened.value() - before, 2U) << "200 calls in a row reuse the connection";
}

TEST_F(DynamodbClientTest, AServerThatIsNotThereIsUnavailableWithinTheDeadlines) {
  ClientOptions gone = options_;
  gone.endpoint = *parse_endpoint("http://127.0.0.1:9", "us-east-1");  // discard: nothing listens
  gone.attempt_timeout = std::chrono::milliseconds(300);
  auto c = make_client(io_, gone);
  const auto start = std::chrono::steady_clock::now();
  auto r = run(c->call("GetItem", key("x")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Error::Kind::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
}  // namespace mc::dynamodb
