// The web's tables from each feature's error codes to statuses and API codes (API.md names the codes).
#include "web/errors.hpp"

#include <gtest/gtest.h>

namespace mc::web {
namespace {

struct Row {
  ErrorAnswer got;
  int status;
  std::string_view code;
};

TEST(ErrorTables, EveryCodeOfEveryFeature) {
  using Cart = cart::Error::Code;
  using Account = account::Error::Code;
  using Order = order::Error::Code;
  const Row rows[] = {
      {answer(Cart::kUnknownSku), 404, "unknown_sku"},
      {answer(Cart::kInsufficientStock), 409, "insufficient_stock"},
      {answer(Cart::kInvalidQuantity), 422, "invalid_input"},
      {answer(Cart::kTooManyLines), 422, "invalid_input"},
      {answer(Cart::kTooLargeForCookie), 413, "cart_too_large_for_cookie"},
      {answer(Account::kInvalidInput), 422, "invalid_input"},
      {answer(Account::kEmailTaken), 409, "email_taken"},
      {answer(Account::kInvalidCredentials), 401, "invalid_credentials"},
      {answer(Account::kTooManyAttempts), 429, "too_many_attempts"},
      {answer(Order::kInvalidInput), 422, "invalid_input"},
      {answer(Order::kNotFound), 404, "not_found"},
      {answer(Order::kEmptyCart), 422, "empty_cart"},
      {answer(Order::kInsufficientStock), 409, "insufficient_stock"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(r.got.status, r.status) << r.code;
    EXPECT_EQ(r.got.code, r.code);
    for (const Lang lang : {Lang::kKo, Lang::kEn}) {
      const std::string key = "error_" + std::string(r.code);
      EXPECT_NE(tr(lang, key), key) << key << " has no text in " << code(lang);
    }
  }
}

}  // namespace
}  // namespace mc::web
