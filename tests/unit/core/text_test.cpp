// UTF-8 at the edge: what is well-formed (RFC 3629) and what is not.

#include <gtest/gtest.h>

#include <string>

#include "core/text.hpp"

namespace mc {
namespace {

TEST(Utf8, WellFormedTextIsValid) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("flight jacket"));
  EXPECT_TRUE(valid_utf8("항공 점퍼"));
  EXPECT_TRUE(valid_utf8("\xF0\x9F\xA7\xA5"));      // U+1F9E5 coat
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF, the last code point
  EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));          // U+E000, just past the surrogates
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));          // U+D7FF, just before them
  EXPECT_TRUE(valid_utf8(std::string("a\0b", 3)));  // NUL is a character (handlers limit it if they must)
}

TEST(Utf8, SurrogatesOverlongsAndStrayBytesAreNot) {
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));      // U+DFFF
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // U+110000, above the last code point
  EXPECT_FALSE(valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));  // an overlong '/'
  EXPECT_FALSE(valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong in three bytes
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));  // and in four
  EXPECT_FALSE(valid_utf8("\x80"));              // a continuation byte alone
  EXPECT_FALSE(valid_utf8("\xEC\xA0"));          // truncated
  EXPECT_FALSE(valid_utf8("\xEC\xA0\x41"));      // a continuation that is not one
  EXPECT_FALSE(valid_utf8("\xFF"));
  EXPECT_FALSE(valid_utf8("ok\xED\xA0\x80ok"));
}

}  // namespace
}  // namespace mc
