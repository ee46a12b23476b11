#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <regex>
#include <utility>

#include "contracts/cart_versions.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "session/seal.hpp"
#include "session/session.hpp"
#include "unit/run_task.hpp"

namespace mc::session {
namespace {

using Status = AddResult::Status;

constexpr std::int64_t kStart = 1'700'000'000;
constexpr std::string_view kMetric = "myclothes_session_rejected_total";

using mc::testing::run;

std::uint64_t rejected(const std::string& reason) {
  return metrics::registry().counter(std::string(kMetric), {{"reason", reason}}).value();
}

std::uint64_t rejected_total() {
  return rejected("malformed") + rejected("unknown_key") + rejected("tampered") + rejected("expired");
}

CookieKey key_named(std::string_view id) {
  auto keys = parse_cookie_keys(new_cookie_key(id));
  EXPECT_TRUE(keys.has_value());
  return keys->front();
}

std::string decoded(std::string_view value) {
  std::string raw;
  EXPECT_TRUE(base64url_decode(value, raw));
  return raw;
}

std::string encoded(std::string_view raw) {
  return base64url_encode(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
}

std::string sku(int i) { return "P" + std::to_string(1000 + i) + "-BLACK-M"; }

class CookieStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionStore> store_with(std::vector<CookieKey> keys) {
    CookieSessionOptions options;
    options.keys = std::move(keys);
    options.guest_ttl = std::chrono::hours(24);
    options.user_ttl = std::chrono::hours(48);
    options.now_seconds = [this] { return now_; };
    return make_cookie_store(std::move(options));
  }

  std::optional<detail::State> state_of(const Session& s, std::span<const CookieKey> keys) {
    auto plain = detail::open(keys, s.id, 4096);
    if (!plain) return std::nullopt;
    return detail::decode_state(*plain);
  }

  std::vector<CartLine> cart_of(const Session& s) { return run(store_->cart(s)); }

  std::int64_t now_ = kStart;
  CookieKey key_ = key_named("k1");
  std::unique_ptr<SessionStore> store_ = store_with({key_});
};

bool same(const std::vector<CartLine>& a, const std::vector<std::pair<std::string, int>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].sku != b[i].first || a[i].qty != b[i].second) return false;
  }
  return true;
}

TEST_F(CookieStoreTest, RoundTrip) {
  EXPECT_EQ(store_->cookie_name(), "mc_state");
  auto s = run(store_->create());
  EXPECT_TRUE(s.reissue);
  EXPECT_EQ(s.user_id, 0);
  EXPECT_TRUE(cart_of(s).empty());

  auto added = run(store_->add(s, "P1234-BLACK-M", 2, 10, 50));
  EXPECT_EQ(added.status, Status::kAdded);
  EXPECT_EQ(added.qty, 2);
  added = run(store_->add(s, "P77-RED-XL", 1, 10, 50));
  EXPECT_TRUE(same(added.cart, {{"P1234-BLACK-M", 2}, {"P77-RED-XL", 1}}));

  auto found = run(store_->find(s.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, s.id);
  EXPECT_EQ(found->user_id, 0);
  EXPECT_FALSE(found->reissue);  // reading does not re-seal
  EXPECT_TRUE(same(cart_of(*found), {{"P1234-BLACK-M", 2}, {"P77-RED-XL", 1}}));

  // Another store with the same key (another instance, another region) reads the same session.
  auto other = store_with({key_});
  EXPECT_TRUE(run(other->find(s.id)));
}

TEST_F(CookieStoreTest, MaxAgeIsTheTimeLeftAndWritesSlideIt) {
  auto s = run(store_->create());
  EXPECT_EQ(store_->cookie_max_age(s), std::chrono::hours(24));
  now_ += 3600;
  EXPECT_EQ(store_->cookie_max_age(s), std::chrono::hours(23));
  const auto before = s.id;
  s.reissue = false;
  EXPECT_TRUE(run(store_->set(s, "P1-BLUE-S", 1)));
  EXPECT_NE(s.id, before);
  EXPECT_TRUE(s.reissue);
  EXPECT_EQ(store_->cookie_max_age(s), std::chrono::hours(24));
  EXPECT_EQ(store_->cookie_max_age(Session{"garbage", 0}), std::chrono::seconds(0));
}

TEST_F(CookieStoreTest, SealsWithTheFirstKeyAndOpensWithAny) {
  auto s = run(store_->create());
  run(store_->add(s, "P1-BLUE-S", 3, 10, 50));

  const auto fresh = key_named("k2");
  auto rotated = store_with({fresh, key_});
  auto found = run(rotated->find(s.id));
  ASSERT_TRUE(found);
  EXPECT_TRUE(same(run(rotated->cart(*found)), {{"P1-BLUE-S", 3}}));

  // Its next write seals with the new first key: the key id travels in clear after the version byte.
  run(rotated->add(*found, "P2-BLUE-S", 1, 10, 50));
  const auto raw = decoded(found->id);
  EXPECT_EQ(raw[0], 1);
  EXPECT_EQ(raw.substr(2, static_cast<unsigned char>(raw[1])), "k2");
  EXPECT_FALSE(run(store_->find(found->id)));  // the old list does not know k2

  // A key that is not in the list: unknown_key.
  const auto unknown = rejected("unknown_key");
  auto foreign = store_with({key_named("k9")});
  EXPECT_FALSE(run(foreign->find(s.id)));
  EXPECT_EQ(rejected("unknown_key"), unknown + 1);
}

TEST_F(CookieStoreTest, SameKeyIdWithOtherKeyBytesIsTampered) {
  auto s = run(store_->create());
  auto impostor_key = key_named("k1");
  auto impostor = store_with({impostor_key});
  const auto tampered = rejected("tampered");
  EXPECT_FALSE(run(impostor->find(s.id)));
  EXPECT_EQ(rejected("tampered"), tampered + 1);
}

TEST_F(CookieStoreTest, EveryFlippedByteIsRejected) {
  auto s = run(store_->create());
  run(store_->add(s, "P1234-BLACK-M", 2, 10, 50));
  run(store_->add(s, "P1-RED-S", 1, 10, 50));
  auto user = run(store_->rotate(s, 42));
  ASSERT_TRUE(run(store_->find(user.id)));

  const auto raw = decoded(user.id);
  const auto before = rejected_total();
  std::size_t tries = 0;
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xFF}) {
      auto bad = raw;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ mask);
      ++tries;
      if (run(store_->find(encoded(bad)))) ++accepted;
    }
  }
  EXPECT_EQ(accepted, 0u);
  EXPECT_EQ(rejected_total(), before + tries);
  EXPECT_TRUE(run(store_->find(user.id)));  // the original still opens
}

TEST_F(CookieStoreTest, TruncatedAndMalformedAreRejected) {
  auto s = run(store_->create());
  run(store_->add(s, "P1234-BLACK-M", 2, 10, 50));

  const auto raw = decoded(s.id);
  const auto before = rejected_total();
  std::size_t tries = 0;
  for (std::size_t n = 1; n < raw.size(); ++n) {
    EXPECT_FALSE(run(store_->find(encoded(raw.substr(0, n))))) << n;            // bytes cut off the end
    EXPECT_FALSE(run(store_->find(encoded(raw.substr(raw.size() - n))))) << n;  // bytes cut off the front
    tries += 2;
  }
  for (std::size_t n = 1; n < s.id.size(); ++n) {
    EXPECT_FALSE(run(store_->find(s.id.substr(0, n)))) << n;  // characters cut off the text
    ++tries;
  }
  EXPECT_EQ(rejected_total(), before + tries);

  const auto malformed = rejected("malformed");
  const std::size_t extra = s.id.size() % 4 == 1 ? 4 : (5 - s.id.size() % 4) % 4;
  EXPECT_FALSE(run(store_->find(s.id + std::string(extra, 'A'))));  // no longer a whole number of bytes
  EXPECT_FALSE(run(store_->find(s.id + "=")));                      // padding
  EXPECT_FALSE(run(store_->find("!!" + s.id.substr(2))));           // not base64url
  EXPECT_FALSE(run(store_->find(std::string(5000, 'A'))));          // longer than a cookie may be
  EXPECT_FALSE(run(store_->find("AQ")));                            // a version byte and nothing else
  EXPECT_EQ(rejected("malformed"), malformed + 5);

  const auto total = rejected_total();
  EXPECT_FALSE(run(store_->find("")));  // no cookie: no session, but nothing rejected
  EXPECT_EQ(rejected_total(), total);
}

TEST_F(CookieStoreTest, ExpiredIsRejected) {
  auto guest = run(store_->create());
  auto user = run(store_->rotate(guest, 7));
  now_ += 24 * 3600 - 1;
  EXPECT_TRUE(run(store_->find(guest.id)));
  const auto expired = rejected("expired");
  now_ += 1;
  EXPECT_FALSE(run(store_->find(guest.id)));  // a replay after the guest expiry
  EXPECT_EQ(rejected("expired"), expired + 1);
  EXPECT_TRUE(cart_of(guest).empty());
  EXPECT_EQ(store_->cookie_max_age(guest), std::chrono::seconds(0));

  EXPECT_TRUE(run(store_->find(user.id)));  // a user's session lives user_ttl
  now_ += std::int64_t{24} * 3600;
  EXPECT_FALSE(run(store_->find(user.id)));
  EXPECT_EQ(rejected("expired"), expired + 2);
}

TEST_F(CookieStoreTest, AShortenedTtlAppliesToCookiesSealedBefore) {
  auto s = run(store_->create());
  CookieSessionOptions options;
  options.keys = {key_};
  options.guest_ttl = std::chrono::hours(1);
  options.now_seconds = [this] { return now_; };
  auto shorter = make_cookie_store(std::move(options));
  EXPECT_EQ(shorter->cookie_max_age(s), std::chrono::hours(1));
  now_ += 3600;
  EXPECT_FALSE(run(shorter->find(s.id)));
}

TEST_F(CookieStoreTest, ASealOfAnotherPurposeOrBadContentIsTampered) {
  const std::vector<std::string> bad = {
      "mc_state/2|1700000000|1700086400|0|",            // another purpose
      "csrf/1|1700000000|1700086400|0|",                // another purpose
      "mc_state/1|1700000000|1700086400|0",             // a field missing
      "mc_state/1|1700000000|1700086400|0|P1-A-S:0",    // quantity 0
      "mc_state/1|1700000000|1700086400|0|P1-A-S:100",  // quantity over 99
      "mc_state/1|1700000000|1700086400|0|P1-A-S:01",   // not canonical
      "mc_state/1|1700000000|1700086400|0|P1-A-S:-1",
      "mc_state/1|1700000000|1700086400|0|P1-A-S:1,P1-A-S:2",  // the same SKU twice
      "mc_state/1|1700000000|1700086400|0|P1 A S:1",           // not a SKU
      "mc_state/1|1700000000|1700086400|0|P1-A-S:1,",
      "mc_state/1|1700000000|1700086400|0|:1",
      "mc_state/1|1700000000|1700086400|0|P1-A-S:1|extra",
      "mc_state/1|1700086400|1700000000|0|",   // expires before it was issued
      "mc_state/1|1700000000|1700086400|-1|",  // a negative user
      "mc_state/1|1700000000|1700086400|99999999999999999999|",
      "mc_state/1|+1700000000|1700086400|0|",
      "mc_state/1|1700000000|1700086400|0|P1-A-S:1,P2-A-S:2,P3-\xC3\xA9:1",
  };
  for (const auto& plain : bad) {
    const auto before = rejected("tampered");
    EXPECT_FALSE(run(store_->find(detail::seal(key_, plain)))) << plain;
    EXPECT_EQ(rejected("tampered"), before + 1) << plain;
  }
  // The same shape with the right purpose opens.
  const std::string good = "mc_state/1|1700000000|1700086400|5|P1-A-S:1,P2-B-M:99";
  auto found = run(store_->find(detail::seal(key_, good)));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 5);
  EXPECT_TRUE(same(cart_of(*found), {{"P1-A-S", 1}, {"P2-B-M", 99}}));
}

TEST_F(CookieStoreTest, TheCookieNeverExceeds4096Bytes) {
  auto s = run(store_->create());
  Session last_accepted = s;
  int lines = 0;
  AddResult result;
  for (int i = 0; i < 1000; ++i) {
    result = run(store_->add(s, sku(i), 99, 99, 100000));
    if (result.status != Status::kAdded) break;
    last_accepted = s;
    ++lines;
  }
  ASSERT_EQ(result.status, Status::kTooLarge);
  EXPECT_GT(lines, 100);  // compact: over a hundred lines of 99 fit
  EXPECT_LE(std::string("mc_state=").size() + last_accepted.id.size(), 4096u);
  // Refused: nothing changed.
  EXPECT_EQ(s.id, last_accepted.id);
  EXPECT_EQ(cart_of(s).size(), static_cast<std::size_t>(lines));

  s.reissue = false;
  EXPECT_FALSE(run(store_->set(s, "P99999999-MIDNIGHTBLUE-XXXL", 1)));
  EXPECT_EQ(s.id, last_accepted.id);
  EXPECT_FALSE(s.reissue);
  // Lowering a quantity or removing a line always fits.
  EXPECT_TRUE(run(store_->set(s, sku(0), 1)));
  EXPECT_TRUE(run(store_->set(s, sku(1), 0)));
  EXPECT_EQ(cart_of(s).size(), static_cast<std::size_t>(lines - 1));

  // A full guest cookie still fits when the longest user id logs in.
  auto user = run(store_->rotate(s, 9'000'000'000'000'000'000));
  EXPECT_LE(std::string("mc_state=").size() + user.id.size(), 4096u);
  EXPECT_EQ(cart_of(user).size(), static_cast<std::size_t>(lines - 1));
}

TEST_F(CookieStoreTest, LimitAndLineRulesAreTheRedisOnes) {
  auto s = run(store_->create());
  EXPECT_EQ(run(store_->add(s, "P1-A-S", 3, 5, 2)).status, Status::kAdded);
  const auto before = s.id;
  auto over = run(store_->add(s, "P1-A-S", 3, 5, 2));
  EXPECT_EQ(over.status, Status::kOverLimit);
  EXPECT_EQ(over.qty, 3);  // as it stays
  EXPECT_EQ(s.id, before);
  auto up = run(store_->add(s, "P1-A-S", 2, 5, 2));
  EXPECT_EQ(up.status, Status::kAdded);
  EXPECT_EQ(up.qty, 5);

  EXPECT_EQ(run(store_->add(s, "P2-A-S", 1, 5, 2)).status, Status::kAdded);
  const auto full = s.id;
  auto many = run(store_->add(s, "P3-A-S", 1, 5, 2));
  EXPECT_EQ(many.status, Status::kTooManyLines);
  EXPECT_EQ(s.id, full);
  // An existing line may still grow when the cart has its most lines.
  EXPECT_EQ(run(store_->add(s, "P2-A-S", 1, 5, 2)).status, Status::kAdded);

  // A cookie line holds at most 99, whatever the limit.
  auto t = run(store_->create());
  EXPECT_EQ(run(store_->add(t, "P9-A-S", 99, 500, 50)).status, Status::kAdded);
  EXPECT_EQ(run(store_->add(t, "P9-A-S", 1, 500, 50)).status, Status::kOverLimit);
}

TEST_F(CookieStoreTest, SetAndClear) {
  auto s = run(store_->create());
  EXPECT_TRUE(run(store_->set(s, "P1-A-S", 4)));
  EXPECT_TRUE(run(store_->set(s, "P2-A-S", 1)));
  EXPECT_TRUE(run(store_->set(s, "P1-A-S", 2)));
  EXPECT_TRUE(same(cart_of(s), {{"P1-A-S", 2}, {"P2-A-S", 1}}));
  EXPECT_TRUE(run(store_->set(s, "P1-A-S", 0)));
  EXPECT_TRUE(run(store_->set(s, "not a sku", 0)));  // removing what is not there changes nothing
  EXPECT_TRUE(same(cart_of(s), {{"P2-A-S", 1}}));
  s.reissue = false;
  run(store_->clear_cart(s));
  EXPECT_TRUE(s.reissue);
  EXPECT_TRUE(cart_of(s).empty());
  EXPECT_TRUE(run(store_->find(s.id)));
}

TEST_F(CookieStoreTest, RotateKeepsTheCartAtLoginAndEmptiesItAtLogout) {
  auto guest = run(store_->create());
  run(store_->add(guest, "P1-A-S", 2, 10, 50));
  auto user = run(store_->rotate(guest, 42));
  EXPECT_NE(user.id, guest.id);
  EXPECT_EQ(user.user_id, 42);
  EXPECT_TRUE(user.reissue);
  EXPECT_TRUE(same(cart_of(user), {{"P1-A-S", 2}}));
  EXPECT_EQ(store_->cookie_max_age(user), std::chrono::hours(48));
  auto found = run(store_->find(user.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 42);

  auto again = run(store_->rotate(user, 42));
  EXPECT_NE(again.id, user.id);  // a fresh nonce every time

  auto out = run(store_->rotate(user, 0));
  EXPECT_EQ(out.user_id, 0);
  EXPECT_TRUE(out.reissue);
  EXPECT_TRUE(cart_of(out).empty());
  EXPECT_EQ(run(store_->find(out.id))->user_id, 0);

  // A login without a cookie of this mode (e.g. an old mc_sid value): a user session with no lines.
  auto from_nothing = run(store_->rotate(Session{new_id(), 0}, 5));
  EXPECT_EQ(run(store_->find(from_nothing.id))->user_id, 5);
  EXPECT_TRUE(cart_of(from_nothing).empty());
}

TEST_F(CookieStoreTest, MergeCapsEachLineAtItsLimit) {
  auto guest = run(store_->create());
  run(store_->add(guest, "P1-A-S", 5, 10, 50));
  run(store_->add(guest, "P2-A-S", 3, 10, 50));
  run(store_->add(guest, "P3-A-S", 2, 10, 50));
  run(store_->add(guest, "P4-A-S", 1, 10, 50));
  guest.reissue = false;
  std::vector<CartLine> limits = {{"P1-A-S", 2}, {"P2-A-S", 0}, {"P4-A-S", 9}};  // P3 gone from the catalog
  run(store_->merge_into_user(guest, 42, std::move(limits)));
  EXPECT_TRUE(guest.reissue);
  EXPECT_TRUE(same(cart_of(guest), {{"P1-A-S", 2}, {"P4-A-S", 1}}));
  auto user = run(store_->rotate(guest, 42));
  EXPECT_TRUE(same(cart_of(user), {{"P1-A-S", 2}, {"P4-A-S", 1}}));
}

TEST_F(CookieStoreTest, TheSealCarriesOnlySkuAndQuantity) {
  auto s = run(store_->create());
  run(store_->add(s, "P1234-BLACK-M", 2, 10, 50));
  run(store_->add(s, "P77-RED-XL", 1, 10, 50));
  auto user = run(store_->rotate(s, 42));

  const std::vector<CookieKey> keys{key_};
  auto plain = detail::open(keys, user.id, 4096);
  ASSERT_TRUE(plain.has_value());
  // Exactly purpose, issued-at, expiry, user and sku:qty pairs; no room for a name or a price.
  const std::regex shape(
      R"(mc_state/1\|[0-9]+\|[0-9]+\|[0-9]+\|([A-Za-z0-9-]+:[0-9]{1,2}(,[A-Za-z0-9-]+:[0-9]{1,2})*)?)");
  EXPECT_TRUE(std::regex_match(*plain, shape)) << *plain;
  EXPECT_EQ(*plain, "mc_state/1|1700000000|1700172800|42|P1234-BLACK-M:2,P77-RED-XL:1");
  const auto state = detail::decode_state(*plain);
  ASSERT_TRUE(state);
  EXPECT_EQ(detail::encode_state(*state), *plain);
  // And nothing of it in clear in the cookie.
  EXPECT_EQ(decoded(user.id).find("P1234"), std::string::npos);
}

TEST(CookieSeal, RoundTripAndSizes) {
  const auto key = key_named("key-2024_a");
  const std::vector<CookieKey> keys{key};
  const std::string plain = "mc_state/1|1|2|0|";
  const auto sealed = detail::seal(key, plain);
  EXPECT_EQ(sealed.size(), detail::sealed_chars(key.id.size(), plain.size()));
  EXPECT_NE(detail::seal(key, plain), sealed);  // a fresh nonce
  auto opened = detail::open(keys, sealed, 4096);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, plain);
  auto too_long = detail::open(keys, sealed, sealed.size() - 1);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(detail::reason(too_long.error()), "malformed");
}

TEST(CookieKeys, ParsesAList) {
  const auto a = new_cookie_key("a");
  const auto b = new_cookie_key("key-2_B");
  EXPECT_EQ(a.size(), 2u + 43u);
  auto keys = parse_cookie_keys(a + ", " + b);
  ASSERT_TRUE(keys.has_value()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].id, "a");
  EXPECT_EQ((*keys)[1].id, "key-2_B");
  std::string raw;
  ASSERT_TRUE(base64url_decode(a.substr(2), raw));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*keys)[0].key.data()), 32), raw);
  EXPECT_NE(new_cookie_key("a"), a);
  EXPECT_THROW(new_cookie_key("no spaces"), std::invalid_argument);
}

TEST(CookieKeys, SaysWhatIsWrong) {
  const auto good = new_cookie_key("k1");
  EXPECT_EQ(parse_cookie_keys("").error(),
            "session.cookie_keys is empty: give at least one key as id:base64url(32 bytes)");
  EXPECT_EQ(parse_cookie_keys("  ").error(),
            "session.cookie_keys is empty: give at least one key as id:base64url(32 bytes)");
  EXPECT_EQ(parse_cookie_keys(good + ",k2:" + random_token(16)).error(),
            "session.cookie_keys entry 2: the key must be 32 bytes in base64url");
  EXPECT_EQ(parse_cookie_keys(good + ",k2:not+base64").error(),
            "session.cookie_keys entry 2: the key must be 32 bytes in base64url");
  EXPECT_EQ(parse_cookie_keys(good + "," + good).error(),
            "session.cookie_keys entry 2: the key id \"k1\" appears twice");
  EXPECT_EQ(parse_cookie_keys("k1" + random_token(32)).error(),
            "session.cookie_keys entry 1: expected id:base64url(32 bytes)");
  EXPECT_EQ(parse_cookie_keys(good + ",").error(), "session.cookie_keys entry 2: expected id:base64url(32 bytes)");
  const std::string message = "session.cookie_keys entry 1: the key id must be 1 to 16 characters A-Z a-z 0-9 _ -";
  EXPECT_EQ(parse_cookie_keys(":" + random_token(32)).error(), message);
  EXPECT_EQ(parse_cookie_keys("k.1:" + random_token(32)).error(), message);
  EXPECT_EQ(parse_cookie_keys(std::string(17, 'k') + ":" + random_token(32)).error(), message);
  EXPECT_TRUE(parse_cookie_keys(std::string(16, 'k') + ":" + random_token(32)).has_value());
}

TEST(CookieStore, NeedsAKey) { EXPECT_THROW(make_cookie_store(CookieSessionOptions{}), std::invalid_argument); }

TEST_F(CookieStoreTest, EveryCartWriteIsANewVersionAndReadsKeepIt) {
  auto s = run(store_->create());
  contracts::expect_cart_versions(*store_, s, [](auto task) { return run(std::move(task)); });
  // Two requests that carry the same cookie carry the same cart: the same version, on any instance.
  auto copy = s;
  auto elsewhere = store_with({key_});
  EXPECT_EQ(run(elsewhere->snapshot(copy)).version, run(store_->snapshot(s)).version);
}

}  // namespace
}  // namespace mc::session
