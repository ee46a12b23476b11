// Sessions and carts in Redis. Every operation is one round trip: small server-side scripts read or write
// and renew the idle expiry together, and an add checks the limit and adds atomically, so two concurrent
// adds can never push a line past its limit.
//
// With replicas to wait for (RedisSessionOptions::wait_replicas, from redis.wait_replicas), every write
// that changes a session or a cart carries WAIT behind it on the same connection, and counts as done only
// when that many replicas acknowledged it: Redis replicates asynchronously, so a write the primary
// acknowledged alone is lost if the primary dies before passing it on and a replica is promoted. A write
// acknowledged by too few in time fails with NotConfirmed (503 not_confirmed) — it may survive or not, and
// the shopper must not be told it did. Reads (which renew expiries, a write of no consequence) do not wait.
#include <fmt/format.h>

#include <charconv>

#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "redis/client.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

// KEYS[1] session; ARGV: guest ttl ms, user ttl ms. Returns the user id ("0" for a guest), or nil when
// there is no session; renews the session's idle expiry by what it is.
constexpr std::string_view kFindScript = R"lua(
local u = redis.call('HGET', KEYS[1], 'u')
if not u then return false end
redis.call('PEXPIRE', KEYS[1], u == '0' and ARGV[1] or ARGV[2])
return u
)lua";

// KEYS[1] cart; ARGV: ttl ms. Returns the cart as a flat list sku, qty, sku, qty...
constexpr std::string_view kCartScript = R"lua(
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('HGETALL', KEYS[1])
)lua";

// KEYS[1] the new session; ARGV: user id (0: a guest), ttl ms; KEYS[2], when given, the session it replaces,
// which stops existing. One script, so that one WAIT confirms all of it.
constexpr std::string_view kCreateScript = R"lua(
redis.call('HSET', KEYS[1], 'u', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if KEYS[2] then redis.call('DEL', KEYS[2]) end
return 1
)lua";

// The field of a cart's hash that holds its version (no SKU starts with '#').
constexpr std::string_view kVersionField = "#v";

// KEYS[1] guest cart, KEYS[2] user cart; ARGV[1] user cart ttl ms, ARGV[2] the user cart's new version, then
// sku, limit pairs.
constexpr std::string_view kMergeScript = R"lua(
local limits = {}
for i = 3, #ARGV, 2 do limits[ARGV[i]] = tonumber(ARGV[i + 1]) end
local guest = redis.call('HGETALL', KEYS[1])
local merged_lines = 0
for i = 1, #guest, 2 do
  local sku = guest[i]
  if sku ~= '#v' then
    local limit = limits[sku] or 0
    local merged = math.min(tonumber(redis.call('HGET', KEYS[2], sku) or '0') + tonumber(guest[i + 1]), limit)
    if merged > 0 then
      redis.call('HSET', KEYS[2], sku, merged)
      merged_lines = merged_lines + 1
    end
  end
end
redis.call('DEL', KEYS[1])
if merged_lines > 0 then redis.call('HSET', KEYS[2], '#v', ARGV[2]) end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return merged_lines
)lua";

// ARGV: sku, qty to add, limit, ttl ms, most lines, the cart's new version. Returns {outcome, qty, the cart as
// sku, qty, ...}: outcome 1 added (qty: the line's new quantity), 0 over the limit (qty: as it stays), -1 too
// many lines.
constexpr std::string_view kAddScript = R"lua(
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = current + tonumber(ARGV[2])
local lines = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], '#v')
if current == 0 and lines >= tonumber(ARGV[5]) then return {-1, 0} end
if wanted > tonumber(ARGV[3]) then return {0, current} end
redis.call('HSET', KEYS[1], ARGV[1], wanted, '#v', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local out = {1, wanted}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all do out[#out + 1] = all[i] end
return out
)lua";

// KEYS[1] cart; ARGV: sku, qty (0: remove the line), ttl ms, the cart's new version. A cart left without
// lines goes (as an emptied hash would).
constexpr std::string_view kSetScript = R"lua(
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '#v', ARGV[4])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  if redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], '#v') == 0 then
    redis.call('DEL', KEYS[1])
    return 0
  end
  redis.call('HSET', KEYS[1], '#v', ARGV[4])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";

// A cart's version: random, so that it never repeats for a cart that was emptied and filled again.
std::string new_version() { return random_token(9); }

std::int64_t to_int(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

class RedisStore final : public SessionStore {
 public:
  RedisStore(std::shared_ptr<redis::Client> client, RedisSessionOptions options)
      : client_(std::move(client)),
        options_(options),
        wait_ok_(metrics::registry().counter("myclothes_redis_wait_total", {{"result", "ok"}})),
        wait_short_(metrics::registry().counter("myclothes_redis_wait_total", {{"result", "short"}})),
        wait_error_(metrics::registry().counter("myclothes_redis_wait_total", {{"result", "error"}})) {
    metrics::registry().describe("myclothes_redis_wait_total",
                                 "Session and cart writes that waited for replicas (WAIT): ok, short (fewer "
                                 "acknowledged in time than required), error (WAIT got no answer).");
  }

  Task<std::optional<Session>> find(std::string id) override {
    if (!valid_id(id)) co_return std::nullopt;
    std::vector<std::string> args{"EVAL",          std::string(kFindScript), "1",
                                  session_key(id), ms(options_.guest_ttl),   ms(options_.user_ttl)};
    auto reply = co_await client_->command(std::move(args));
    check(reply);
    if (reply->type != redis::Reply::Type::kString) co_return std::nullopt;  // unknown or expired
    co_return Session{std::move(id), to_int(reply->str)};
  }

  Task<Session> create() override {
    Session s{new_id(), 0};
    std::vector<std::string> args{"EVAL", std::string(kCreateScript), "1", session_key(s.id),
                                  "0",    ms(options_.guest_ttl)};
    auto written = co_await write(std::move(args));
    confirm(written, "session create");
    co_return s;
  }

  Task<std::vector<CartLine>> cart(const Session& s) override {
    auto snap = co_await snapshot(s);
    co_return std::move(snap.lines);
  }

  Task<CartSnapshot> snapshot(const Session& s) override {
    std::vector<std::string> args{"EVAL", std::string(kCartScript), "1", cart_key(s), ms(ttl(s))};
    auto reply = co_await client_->command(std::move(args));
    check(reply);
    CartSnapshot out;
    read_pairs(*reply, 0, out);
    co_return out;
  }

  Task<AddResult> add(Session& s, std::string sku, int qty, int limit, int max_lines) override {
    std::vector<std::string> args{"EVAL",
                                  std::string(kAddScript),
                                  "1",
                                  cart_key(s),
                                  std::move(sku),
                                  std::to_string(qty),
                                  std::to_string(limit),
                                  ms(ttl(s)),
                                  std::to_string(max_lines),
                                  new_version()};
    auto written = co_await write(std::move(args));
    const redis::Reply* reply = &written.reply;
    if (reply->type != redis::Reply::Type::kArray || reply->elements.size() < 2) {
      throw Unavailable("unexpected reply to the cart add");
    }
    const auto outcome = reply->elements[0].integer;
    if (outcome == 1) confirm(written, "cart add");  // over the limit or too many lines: nothing changed
    AddResult result;
    result.qty = static_cast<int>(reply->elements[1].integer);
    result.status = outcome == 1   ? AddResult::Status::kAdded
                    : outcome == 0 ? AddResult::Status::kOverLimit
                                   : AddResult::Status::kTooManyLines;
    CartSnapshot cart;
    read_pairs(*reply, 2, cart);
    result.cart = std::move(cart.lines);
    co_return result;
  }

  Task<bool> set(Session& s, std::string sku, int qty) override {
    std::vector<std::string> args{"EVAL",         std::string(kSetScript),          "1",        cart_key(s),
                                  std::move(sku), std::to_string(std::max(qty, 0)), ms(ttl(s)), new_version()};
    auto written = co_await write(std::move(args));
    confirm(written, "cart set");
    co_return true;
  }

  Task<void> clear_cart(Session& s) override {
    std::vector<std::string> args{"DEL", cart_key(s)};
    auto written = co_await write(std::move(args));
    confirm(written, "cart clear");
  }

  Task<Session> rotate(const Session& old, std::int64_t user_id) override {
    Session fresh{new_id(), user_id};
    const auto ttl = user_id ? options_.user_ttl : options_.guest_ttl;
    std::vector<std::string> args{
        "EVAL", std::string(kCreateScript), "2", session_key(fresh.id), session_key(old.id), std::to_string(user_id),
        ms(ttl)};
    auto written = co_await write(std::move(args));
    confirm(written, "session rotate");
    co_return fresh;
  }

  Task<void> merge_into_user(Session& guest, std::int64_t user_id, std::vector<CartLine> limits) override {
    Session user{guest.id, user_id};
    std::vector<std::string> args{
        "EVAL",         std::string(kMergeScript), "2",          cart_key(Session{guest.id, 0}),
        cart_key(user), ms(options_.user_ttl),     new_version()};
    for (auto& l : limits) {
      args.push_back(std::move(l.sku));
      args.push_back(std::to_string(l.qty));
    }
    auto written = co_await write(std::move(args));
    confirm(written, "cart merge");
  }

 private:
  // A write of a session or cart; with replicas to wait for, WAIT rides behind it on the same connection
  // (see redis::Client::command_and_wait: it holds this thread's one connection for up to wait_timeout,
  // which is why the setting must stay below the command timeout). The command's own failure is the usual
  // outage; what WAIT said is for confirm(), which the caller calls once it knows the write changed something.
  Task<redis::Acknowledged> write(std::vector<std::string> args) {
    if (options_.wait_replicas <= 0) {
      auto reply = co_await client_->command(std::move(args));
      check(reply);
      co_return redis::Acknowledged{std::move(*reply), 0, {}};
    }
    auto ack = co_await client_->command_and_wait(std::move(args), options_.wait_replicas, options_.wait_timeout);
    if (!ack) throw Unavailable(ack.error().message);
    if (ack->reply.type == redis::Reply::Type::kError) throw Unavailable(ack->reply.str);
    co_return std::move(*ack);
  }

  // Never a silent success: a write fewer replicas than required have acknowledged may be lost in a failover.
  void confirm(const redis::Acknowledged& written, std::string_view what) {
    if (options_.wait_replicas <= 0) return;
    if (written.replicas >= options_.wait_replicas) {
      wait_ok_.inc();
      return;
    }
    if (written.replicas < 0) {
      wait_error_.inc();
      throw NotConfirmed(fmt::format("{}: WAIT got no answer: {}", what, written.wait_error));
    }
    wait_short_.inc();
    throw NotConfirmed(fmt::format("{}: {} of {} replicas acknowledged it within {} ms", what, written.replicas,
                                   options_.wait_replicas, options_.wait_timeout.count()));
  }

  // A session store that cannot answer is an error for the request (503), never an empty cart.
  static void check(const Expected<redis::Reply, redis::CommandError>& reply) {
    if (!reply) throw Unavailable(reply.error().message);
    if (reply->type == redis::Reply::Type::kError) throw Unavailable(reply->str);
  }

  // The hash's fields from elements[from] on, as sku, qty pairs: the lines, and the version field.
  static void read_pairs(const redis::Reply& reply, std::size_t from, CartSnapshot& out) {
    for (std::size_t i = from; i + 1 < reply.elements.size(); i += 2) {
      const auto& field = reply.elements[i].str;
      if (field == kVersionField) {
        out.version = reply.elements[i + 1].str;
      } else {
        out.lines.push_back(CartLine{field, static_cast<int>(to_int(reply.elements[i + 1].str))});
      }
    }
  }

  static std::string session_key(std::string_view id) { return fmt::format("mc:sess:{}", id); }
  static std::string cart_key(const Session& s) {
    return s.user_id ? fmt::format("mc:cart:u:{}", s.user_id) : fmt::format("mc:cart:s:{}", s.id);
  }
  std::chrono::seconds ttl(const Session& s) const { return s.user_id ? options_.user_ttl : options_.guest_ttl; }
  static std::string ms(std::chrono::seconds d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  }

  std::shared_ptr<redis::Client> client_;
  RedisSessionOptions options_;
  metrics::Counter& wait_ok_;
  metrics::Counter& wait_short_;
  metrics::Counter& wait_error_;
};

}  // namespace

std::unique_ptr<SessionStore> make_redis_store(std::shared_ptr<redis::Client> client, RedisSessionOptions options) {
  return std::make_unique<RedisStore>(std::move(client), options);
}

}  // namespace mc::session
