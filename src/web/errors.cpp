#include "web/errors.hpp"

#include <array>
#include <cstddef>

namespace mc::web {
namespace {

// Each table is in the order of its feature's Code (tests/unit/web/errors_test.cpp checks every code).
constexpr std::array<ErrorAnswer, 5> kCart{{
    {404, "unknown_sku"},                // kUnknownSku
    {409, "insufficient_stock"},         // kInsufficientStock
    {422, "invalid_input"},              // kInvalidQuantity
    {422, "invalid_input"},              // kTooManyLines
    {413, "cart_too_large_for_cookie"},  // kTooLargeForCookie
}};
constexpr std::array<ErrorAnswer, 4> kAccount{{
    {422, "invalid_input"},        // kInvalidInput
    {409, "email_taken"},          // kEmailTaken
    {401, "invalid_credentials"},  // kInvalidCredentials
    {429, "too_many_attempts"},    // kTooManyAttempts
}};
constexpr std::array<ErrorAnswer, 4> kOrder{{
    {422, "invalid_input"},       // kInvalidInput
    {404, "not_found"},           // kNotFound
    {422, "empty_cart"},          // kEmptyCart
    {409, "insufficient_stock"},  // kInsufficientStock
}};

template <std::size_t N, class Code>
ErrorAnswer look_up(const std::array<ErrorAnswer, N>& table, Code code) {
  const auto i = static_cast<std::size_t>(code);
  return i < N ? table[i] : ErrorAnswer{422, "invalid_input"};
}

}  // namespace

ErrorAnswer answer(cart::Error::Code code) { return look_up(kCart, code); }
ErrorAnswer answer(account::Error::Code code) { return look_up(kAccount, code); }
ErrorAnswer answer(order::Error::Code code) { return look_up(kOrder, code); }

}  // namespace mc::web
