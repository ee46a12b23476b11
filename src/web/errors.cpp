#include "web/errors.hpp"

namespace mc::web {

ErrorAnswer answer(cart::Error::Code code) {
  using Code = cart::Error::Code;
  switch (code) {
    case Code::kUnknownSku:
      return {404, "unknown_sku"};
    case Code::kInsufficientStock:
      return {409, "insufficient_stock"};
    case Code::kInvalidQuantity:
    case Code::kTooManyLines:
      return {422, "invalid_input"};
    case Code::kTooLargeForCookie:
      return {413, "cart_too_large_for_cookie"};
  }
  return {422, "invalid_input"};
}

ErrorAnswer answer(account::Error::Code code) {
  using Code = account::Error::Code;
  switch (code) {
    case Code::kInvalidInput:
      return {422, "invalid_input"};
    case Code::kEmailTaken:
      return {409, "email_taken"};
    case Code::kInvalidCredentials:
      return {401, "invalid_credentials"};
    case Code::kTooManyAttempts:
      return {429, "too_many_attempts"};
  }
  return {422, "invalid_input"};
}

ErrorAnswer answer(order::Error::Code code) {
  using Code = order::Error::Code;
  switch (code) {
    case Code::kInvalidInput:
      return {422, "invalid_input"};
    case Code::kNotFound:
      return {404, "not_found"};
    case Code::kEmptyCart:
      return {422, "empty_cart"};
    case Code::kInsufficientStock:
      return {409, "insufficient_stock"};
  }
  return {422, "invalid_input"};
}

}  // namespace mc::web
