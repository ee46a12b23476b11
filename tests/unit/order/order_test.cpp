#include "order/order.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mc::order {
namespace {

Address home() {
  Address a;
  a.recipient = "김민지";
  a.line1 = "테헤란로 1";
  a.city = "서울";
  a.postal_code = "06236";
  a.country = "KR";
  a.phone = "+82 10-1234-5678";
  return a;
}

TEST(AddressRules, AFullAddressIsValid) { EXPECT_FALSE(validate(home())); }

TEST(AddressRules, EachFieldIsCheckedAndNamed) {
  auto field_of = [](Address a) {
    auto e = validate(a);
    return e ? e->field : std::string("ok");
  };
  auto a = home();
  a.recipient = "";
  EXPECT_EQ(field_of(a), "recipient");
  a = home();
  a.line1 = std::string(201, 'x');
  EXPECT_EQ(field_of(a), "line1");
  a = home();
  a.line1.clear();
  for (int i = 0; i < 200; ++i) a.line1 += "길";  // 200 characters, 600 bytes
  EXPECT_EQ(field_of(a), "ok");
  a = home();
  a.city = " ";
  EXPECT_EQ(field_of(a), "city");
  a = home();
  a.postal_code = "06236; DROP";
  EXPECT_EQ(field_of(a), "postal_code");
  a = home();
  a.country = "kr";
  EXPECT_EQ(field_of(a), "country");
  a = home();
  a.country = "KOR";
  EXPECT_EQ(field_of(a), "country");
  a = home();
  a.phone = "call me";
  EXPECT_EQ(field_of(a), "phone");
  EXPECT_EQ(validate(a)->status(), 422);
  EXPECT_EQ(validate(a)->api_code(), "invalid_input");
}

TEST(AddressJson, RoundTripsTheApiShape) {
  auto a = home();
  a.id = 7;
  a.is_default = true;
  auto o = to_json(a);
  for (const char* key :
       {"id", "recipient", "line1", "line2", "city", "postal_code", "country", "phone", "is_default"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  auto back = address_from_json(o);
  EXPECT_EQ(back.recipient, a.recipient);
  EXPECT_EQ(back.phone, a.phone);
  EXPECT_TRUE(back.is_default);
  EXPECT_FALSE(address_from_json(boost::json::object{{"is_default", "yes"}}).is_default) << "only a JSON true";
}

TEST(IdempotencyKeys, AreOneToOneHundredPrintableCharacters) {
  EXPECT_TRUE(valid_idempotency_key("3f2b9c1e-checkout"));
  EXPECT_FALSE(valid_idempotency_key(""));
  EXPECT_FALSE(valid_idempotency_key(std::string(101, 'k')));
  EXPECT_FALSE(valid_idempotency_key("has space"));
  EXPECT_FALSE(valid_idempotency_key("tab\there"));
}

TEST(Errors, MapToTheApiCodes) {
  EXPECT_EQ((Error{Error::Code::kEmptyCart, "", "", "", 0}.status()), 422);
  EXPECT_EQ((Error{Error::Code::kEmptyCart, "", "", "", 0}.api_code()), "empty_cart");
  EXPECT_EQ((Error{Error::Code::kInsufficientStock, "", "", "P1-BLACK-M", 0}.status()), 409);
  EXPECT_EQ((Error{Error::Code::kNotFound, "", "", "", 0}.status()), 404);
}

}  // namespace
}  // namespace mc::order
