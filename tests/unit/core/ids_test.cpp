#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace mc {
namespace {

TEST(Base64Url, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<unsigned char> bytes(n);
    for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
    const auto text = base64url_encode(bytes);
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
    std::string back;
    ASSERT_TRUE(base64url_decode(text, back)) << text;
    EXPECT_EQ(back, std::string(bytes.begin(), bytes.end()));
  }
}

TEST(Base64Url, RejectsForeignCharactersAndNonCanonicalTails) {
  std::string out;
  EXPECT_FALSE(base64url_decode("ab+c", out));
  EXPECT_FALSE(base64url_decode("abc=", out));
  EXPECT_FALSE(base64url_decode("a", out));
  EXPECT_FALSE(base64url_decode("AB", out));  // 'B' leaves non-zero unused bits
}

TEST(RandomToken, Has256BitsAndDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto t = random_token(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_TRUE(seen.insert(t).second);
  }
}

TEST(RequestId, IsUnique) { EXPECT_NE(next_request_id(), next_request_id()); }

}  // namespace
}  // namespace mc
