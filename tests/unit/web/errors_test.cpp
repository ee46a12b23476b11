// The web's tables from each feature's error codes to statuses and API codes (API.md names the codes).
#include "web/errors.hpp"

#include <gtest/gtest.h>

namespace mc::web {
namespace {

void expect(ErrorAnswer a, int status, std::string_view code) {
  EXPECT_EQ(a.status, status) << code;
  EXPECT_EQ(a.code, code);
}

TEST(ErrorTables, Cart) {
  using Code = cart::Error::Code;
  expect(answer(Code::kUnknownSku), 404, "unknown_sku");
  expect(answer(Code::kInsufficientStock), 409, "insufficient_stock");
  expect(answer(Code::kInvalidQuantity), 422, "invalid_input");
  expect(answer(Code::kTooManyLines), 422, "invalid_input");
  expect(answer(Code::kTooLargeForCookie), 413, "cart_too_large_for_cookie");
}

TEST(ErrorTables, Accounts) {
  using Code = account::Error::Code;
  expect(answer(Code::kInvalidInput), 422, "invalid_input");
  expect(answer(Code::kEmailTaken), 409, "email_taken");
  expect(answer(Code::kInvalidCredentials), 401, "invalid_credentials");
  expect(answer(Code::kTooManyAttempts), 429, "too_many_attempts");
}

TEST(ErrorTables, Orders) {
  using Code = order::Error::Code;
  expect(answer(Code::kInvalidInput), 422, "invalid_input");
  expect(answer(Code::kNotFound), 404, "not_found");
  expect(answer(Code::kEmptyCart), 422, "empty_cart");
  expect(answer(Code::kInsufficientStock), 409, "insufficient_stock");
}

TEST(ErrorTables, EveryCodeHasTheShoppersWordsInBothLanguages) {
  for (const auto api_code : {"unknown_sku", "insufficient_stock", "invalid_input", "cart_too_large_for_cookie",
                              "email_taken", "invalid_credentials", "too_many_attempts", "empty_cart"}) {
    for (const Lang lang : {Lang::kKo, Lang::kEn}) {
      const std::string key = "error_" + std::string(api_code);
      EXPECT_NE(tr(lang, key), key) << key << " has no text in " << code(lang);
    }
  }
}

}  // namespace
}  // namespace mc::web
