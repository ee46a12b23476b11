// Mode `cookie`: no server-side state at all. The session (user id, cart lines as SKU and quantity, issued-at,
// expiry, purpose) is sealed with AES-256-GCM into the cookie mc_state, so any instance in any region that
// holds the key can serve it. Every write re-seals it with a fresh nonce and a fresh expiry; a read does
// not, so browsing sends no Set-Cookie. A cookie that cannot be opened is no session: it is counted in
// myclothes_session_rejected_total{reason} and never an error for the shopper.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "session/seal.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

constexpr std::string_view kCookieName = "mc_state";
constexpr std::string_view kRejectedMetric = "myclothes_session_rejected_total";
// The longest user id a guest's cookie may turn into at login: a guest's writes keep room for it, so the
// rotation at login always fits the cookie.
constexpr std::size_t kMaxUserIdDigits = 19;

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > detail::kMaxKeyIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::size_t digits(std::int64_t n) { return std::to_string(n).size(); }

// The rejection counters, looked up once: the registry's lookups take a lock, increments do not.
struct Rejections {
  metrics::Counter& malformed;
  metrics::Counter& unknown_key;
  metrics::Counter& tampered;
  metrics::Counter& expired;

  static Rejections& get() {
    static Rejections r = [] {
      auto& reg = metrics::registry();
      const std::string name(kRejectedMetric);
      reg.describe(name, "Session cookies (mode cookie) ignored, by reason: malformed, unknown_key, tampered, expired");
      return Rejections{reg.counter(name, {{"reason", "malformed"}}), reg.counter(name, {{"reason", "unknown_key"}}),
                        reg.counter(name, {{"reason", "tampered"}}), reg.counter(name, {{"reason", "expired"}})};
    }();
    return r;
  }

  void count(std::string_view reason) {
    if (reason == "unknown_key") {
      unknown_key.inc();
    } else if (reason == "tampered") {
      tampered.inc();
    } else if (reason == "expired") {
      expired.inc();
    } else {
      malformed.inc();
    }
  }
};

class CookieStore final : public SessionStore {
 public:
  explicit CookieStore(CookieSessionOptions options) : options_(std::move(options)), rejections_(Rejections::get()) {
    if (options_.keys.empty()) throw std::invalid_argument("mode cookie needs at least one key");
    for (const auto& k : options_.keys) {
      if (!valid_key_id(k.id)) throw std::invalid_argument("a cookie key id must be 1 to 16 characters [A-Za-z0-9_-]");
    }
  }

  std::string_view cookie_name() const override { return kCookieName; }

  // The time the sealed state has left; 0 (the browser drops the cookie) when it cannot be opened.
  std::chrono::seconds cookie_max_age(const Session& s) const override {
    auto state = open_state(s.id);
    if (!state) return std::chrono::seconds(0);
    return std::chrono::seconds(std::max<std::int64_t>(0, expiry_of(*state) - now()));
  }

  Task<std::optional<Session>> find(std::string id) override {
    if (id.empty()) co_return std::nullopt;  // no cookie is no session, not a rejected one
    auto state = open_state(id);
    if (!state) {
      rejections_.count(state.error());
      co_return std::nullopt;
    }
    co_return Session{std::move(id), state->user_id, false};
  }

  Task<Session> create() override {
    Session s{std::string(), 0, false};
    std::vector<CartLine> none;
    if (!write(s, none)) throw std::logic_error("an empty session does not fit max_cookie_bytes");
    co_return s;
  }

  Task<std::vector<CartLine>> cart(const Session& s) override { co_return lines_of(s); }

  // Every write seals the cookie anew (a fresh nonce), so the sealed value itself is the cart's version:
  // two requests that carry the same cookie carry the same cart.
  Task<CartSnapshot> snapshot(const Session& s) override {
    CartSnapshot snap;
    snap.lines = lines_of(s);
    if (!snap.lines.empty()) {
      std::uint64_t h = 14695981039346656037ULL;  // FNV-1a, 64 bits
      for (const unsigned char c : s.id) h = (h ^ c) * 1099511628211ULL;
      snap.version = fmt::format("c{:016x}", h);
    }
    co_return snap;
  }

  Task<AddResult> add(Session& s, std::string sku, int qty, int limit, int max_lines) override {
    if (!detail::valid_sku(sku)) throw std::invalid_argument("a SKU the cookie cannot carry");
    if (qty < 1) throw std::invalid_argument("an add of less than one");
    auto lines = lines_of(s);
    auto it = std::find_if(lines.begin(), lines.end(), [&](const CartLine& l) { return l.sku == sku; });
    const int current = it == lines.end() ? 0 : it->qty;
    AddResult result;
    if (current == 0 && std::cmp_greater_equal(lines.size(), std::max(max_lines, 0))) {
      result.status = AddResult::Status::kTooManyLines;
      co_return result;
    }
    const std::int64_t wanted = std::int64_t{current} + qty;
    if (wanted > std::min(limit, detail::kMaxQty)) {
      result.status = AddResult::Status::kOverLimit;
      result.qty = current;
      co_return result;
    }
    if (it == lines.end()) {
      lines.push_back(CartLine{std::move(sku), static_cast<int>(wanted)});
    } else {
      it->qty = static_cast<int>(wanted);
    }
    if (!write(s, lines)) {
      result.status = AddResult::Status::kTooLarge;
      result.qty = current;
      co_return result;
    }
    result.qty = static_cast<int>(wanted);
    result.cart = std::move(lines);
    co_return result;
  }

  Task<bool> set(Session& s, std::string sku, int qty) override {
    if (qty < 0 || qty > detail::kMaxQty) throw std::invalid_argument("a quantity the cookie cannot carry");
    auto lines = lines_of(s);
    auto it = std::find_if(lines.begin(), lines.end(), [&](const CartLine& l) { return l.sku == sku; });
    if (qty == 0) {
      if (it != lines.end()) lines.erase(it);
    } else if (it != lines.end()) {
      it->qty = qty;
    } else {
      if (!detail::valid_sku(sku)) throw std::invalid_argument("a SKU the cookie cannot carry");
      lines.push_back(CartLine{std::move(sku), qty});
    }
    co_return write(s, lines);
  }

  Task<void> clear_cart(Session& s) override {
    std::vector<CartLine> none;
    write(s, none);
    co_return;
  }

  Task<Session> rotate(const Session& old, std::int64_t user_id) override {
    // Login: the cart the cookie carries becomes the user's. Logout: the account's cart stays with the
    // account, and in this mode that means it goes nowhere.
    std::vector<CartLine> lines;
    if (user_id != 0) lines = lines_of(old);
    Session fresh{std::string(), user_id, false};
    // A guest's writes keep room for the user id, so this fits; should it not, the last lines go rather
    // than the whole session.
    while (!write(fresh, lines) && !lines.empty()) lines.pop_back();
    if (fresh.id.empty()) throw std::logic_error("an empty session does not fit max_cookie_bytes");
    co_return fresh;
  }

  Task<void> merge_into_user(Session& guest, std::int64_t /*user_id*/, std::vector<CartLine> limits) override {
    // The only cart is the one in the cookie: each line is capped at its limit here, and the rotate that
    // follows at login makes it the user's.
    std::map<std::string, int, std::less<>> limit_of;
    for (auto& l : limits) limit_of[std::move(l.sku)] = l.qty;
    auto lines = lines_of(guest);
    std::vector<CartLine> kept;
    for (auto& l : lines) {
      const auto found = limit_of.find(l.sku);
      const int cap = found == limit_of.end() ? 0 : std::min(found->second, detail::kMaxQty);
      if (cap <= 0) continue;
      kept.push_back(CartLine{std::move(l.sku), std::min(l.qty, cap)});
    }
    write(guest, kept);  // never larger than before
    co_return;
  }

 private:
  std::int64_t now() const {
    if (options_.now_seconds) return options_.now_seconds();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::int64_t ttl(std::int64_t user_id) const {
    return (user_id != 0 ? options_.user_ttl : options_.guest_ttl).count();
  }

  // The sealed expiry, or sooner when the TTL was shortened since the cookie was sealed.
  std::int64_t expiry_of(const detail::State& state) const {
    return std::min(state.expires_at, state.issued_at + ttl(state.user_id));
  }

  std::size_t max_value_chars() const {
    const std::size_t overhead = kCookieName.size() + 1;
    return options_.max_cookie_bytes > overhead ? options_.max_cookie_bytes - overhead : 0;
  }

  // The state sealed in `value`, or why it is no session: "malformed", "unknown_key", "tampered", "expired".
  Expected<detail::State, std::string_view> open_state(std::string_view value) const {
    auto plain = detail::open(options_.keys, value, max_value_chars());
    if (!plain) return Unexpected(detail::reason(plain.error()));
    auto state = detail::decode_state(*plain);
    if (!state) return Unexpected(std::string_view("tampered"));
    if (expiry_of(*state) <= now()) return Unexpected(std::string_view("expired"));
    return std::move(*state);
  }

  // The lines `s` carries; none when its cookie cannot be opened (find has counted that already).
  std::vector<CartLine> lines_of(const Session& s) const {
    auto state = open_state(s.id);
    if (!state) return {};
    return std::move(state->lines);
  }

  // Re-seals `s` with `lines` and a fresh expiry. False, `s` unchanged: the cookie would exceed
  // max_cookie_bytes (for a guest, with room kept for the user id of a login).
  bool write(Session& s, const std::vector<CartLine>& lines) const {
    const auto issued = now();
    detail::State state{issued, issued + ttl(s.user_id), s.user_id, lines};
    const auto plain = detail::encode_state(state);
    const auto& key = options_.keys.front();
    const std::size_t room = kMaxUserIdDigits - std::min(kMaxUserIdDigits, digits(s.user_id));
    if (detail::sealed_chars(key.id.size(), plain.size() + room) > max_value_chars()) return false;
    s.id = detail::seal(key, plain);
    s.reissue = true;
    return true;
  }

  CookieSessionOptions options_;
  Rejections& rejections_;
};

}  // namespace

Expected<std::vector<CookieKey>, std::string> parse_cookie_keys(std::string_view text) {
  constexpr std::string_view kFormat = "id:base64url(32 bytes)";
  if (trim(text).empty()) {
    return Unexpected(fmt::format("session.cookie_keys is empty: give at least one key as {}", kFormat));
  }
  std::vector<CookieKey> keys;
  std::set<std::string, std::less<>> ids;
  std::size_t n = 0;
  while (true) {
    ++n;
    const auto comma = text.find(',');
    const auto entry = trim(text.substr(0, comma));
    const auto colon = entry.find(':');
    if (colon == std::string_view::npos) {
      return Unexpected(fmt::format("session.cookie_keys entry {}: expected {}", n, kFormat));
    }
    const auto id = entry.substr(0, colon);
    if (!valid_key_id(id)) {
      return Unexpected(
          fmt::format("session.cookie_keys entry {}: the key id must be 1 to 16 characters A-Z a-z 0-9 _ -", n));
    }
    if (ids.contains(id)) {
      return Unexpected(fmt::format("session.cookie_keys entry {}: the key id \"{}\" appears twice", n, id));
    }
    std::string bytes;
    if (!base64url_decode(entry.substr(colon + 1), bytes) || bytes.size() != 32) {
      // Never the key material itself in a message that may reach a log.
      return Unexpected(fmt::format("session.cookie_keys entry {}: the key must be 32 bytes in base64url", n));
    }
    CookieKey key;
    key.id = std::string(id);
    std::copy(bytes.begin(), bytes.end(), key.key.begin());
    ids.insert(key.id);
    keys.push_back(std::move(key));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return keys;
}

std::string new_cookie_key(std::string_view id) {
  if (!valid_key_id(id)) throw std::invalid_argument("a cookie key id must be 1 to 16 characters [A-Za-z0-9_-]");
  return fmt::format("{}:{}", id, random_token(32));
}

std::unique_ptr<SessionStore> make_cookie_store(CookieSessionOptions options) {
  return std::make_unique<CookieStore>(std::move(options));
}

}  // namespace mc::session
