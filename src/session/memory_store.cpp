// Mode `sticky`: sessions and carts in this process's memory. It answers exactly as the Redis store does
// (same add rules, same keys: a guest's cart by session id, a user's cart by user id, each with its own
// sliding idle expiry), with one mutex in place of Redis's single thread: every operation is one short
// critical section without I/O, so an add checks the limit and adds atomically here too.
//
// Memory is bounded by two LRU lists: session ids (a session and the guest cart under the same id) and
// user carts. Expired entries count as absent at once and leave memory lazily: when touched, when they
// reach the tail of their list, or when evicted.
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "session/session.hpp"

namespace mc::session {
namespace {

using Clock = std::chrono::steady_clock;
using Lines = std::vector<CartLine>;

// How many expired entries each operation removes from the tail of a list, so the memory of idle
// shoppers goes back without a sweeper thread and without making any one request pay for many.
constexpr int kPurgePerOperation = 2;

metrics::Gauge& sessions_gauge() {
  static metrics::Gauge& gauge = []() -> metrics::Gauge& {
    auto& registry = metrics::registry();
    registry.describe("myclothes_sessions_in_memory", "Sessions held in this instance's memory (mode sticky).");
    return registry.gauge("myclothes_sessions_in_memory");
  }();
  return gauge;
}

CartLine* line_of(Lines& lines, std::string_view sku) {
  auto it = std::find_if(lines.begin(), lines.end(), [&](const CartLine& l) { return l.sku == sku; });
  return it == lines.end() ? nullptr : &*it;
}

// Like HSET on a small hash: an existing line keeps its place, a new one goes last.
void put_line(Lines& lines, std::string sku, int qty) {
  if (auto* line = line_of(lines, sku)) {
    line->qty = qty;
  } else {
    lines.push_back(CartLine{std::move(sku), qty});
  }
}

void erase_line(Lines& lines, std::string_view sku) {
  std::erase_if(lines, [&](const CartLine& l) { return l.sku == sku; });
}

// One session id: the session and the guest cart kept under the same id. Like the two Redis keys, each
// expires on its own (a rotated session's cart outlives it); the entry goes when both are gone.
struct Entry {
  std::string id;
  bool has_session = false;
  std::int64_t user_id = 0;
  Clock::time_point session_expires;
  Lines cart;  // empty: no cart (Redis drops an emptied hash)
  Clock::time_point cart_expires;
  std::string cart_version;
};

struct UserCart {
  std::int64_t user_id = 0;
  Lines lines;
  Clock::time_point expires;
  std::string version;
};

class MemoryStore final : public SessionStore {
 public:
  explicit MemoryStore(MemorySessionOptions options) : options_(std::move(options)), gauge_(sessions_gauge()) {
    options_.max_sessions = std::max<std::size_t>(options_.max_sessions, 1);
    options_.max_user_carts = std::max<std::size_t>(options_.max_user_carts, 1);
    if (!options_.now) options_.now = [] { return Clock::now(); };
  }

  // No operation suspends: each runs under the lock and completes before its coroutine returns.
  Task<std::optional<Session>> find(std::string id) override { co_return find_now(std::move(id)); }
  Task<Session> create() override { co_return create_now(); }
  Task<std::vector<CartLine>> cart(const Session& s) override { co_return cart_now(s); }
  Task<CartSnapshot> snapshot(const Session& s) override { co_return snapshot_now(s); }
  Task<AddResult> add(Session& s, std::string sku, int qty, int limit, int max_lines) override {
    co_return add_now(s, std::move(sku), qty, limit, max_lines);
  }
  Task<bool> set(Session& s, std::string sku, int qty) override { co_return set_now(s, std::move(sku), qty); }
  Task<void> clear_cart(Session& s) override {
    clear_now(s);
    co_return;
  }
  Task<Session> rotate(const Session& old, std::int64_t user_id) override { co_return rotate_now(old, user_id); }
  Task<void> merge_into_user(Session& guest, std::int64_t user_id, std::vector<CartLine> limits) override {
    merge_now(guest, user_id, std::move(limits));
    co_return;
  }

 private:
  using Entries = std::list<Entry>;
  using UserCarts = std::list<UserCart>;

  // Runs `op` under the lock with the current time, after a little lazy purging; publishes the gauge.
  template <class Op>
  auto locked(Op&& op) {
    std::lock_guard lock(mutex_);
    const auto now = options_.now();
    purge_tails(now);
    struct Publish {
      MemoryStore& store;
      ~Publish() { store.gauge_.set(static_cast<double>(store.sessions_)); }
    } publish{*this};
    return op(now);
  }

  std::optional<Session> find_now(std::string id) {
    if (!valid_id(id)) return std::nullopt;
    return locked([&](Clock::time_point now) -> std::optional<Session> {
      auto it = live_entry(id, now);
      if (it == entries_.end() || !it->has_session) return std::nullopt;
      it->session_expires = now + ttl(it->user_id);
      touch(it);
      return Session{std::move(id), it->user_id};
    });
  }

  Session create_now() {
    Session s{new_id(), 0};
    locked([&](Clock::time_point now) { put_session(s.id, 0, now); });
    return s;
  }

  Lines cart_now(const Session& s) {
    return locked([&](Clock::time_point now) {
      const auto* lines = cart_of(s, now, false);
      return lines ? *lines : Lines{};
    });
  }

  CartSnapshot snapshot_now(const Session& s) {
    return locked([&](Clock::time_point now) {
      CartSnapshot snap;
      if (const auto* lines = cart_of(s, now, false)) {
        snap.lines = *lines;
        snap.version = *version_of(s);
      }
      return snap;
    });
  }

  // The add script of the Redis store, line by line.
  AddResult add_now(const Session& s, std::string sku, int qty, int limit, int max_lines) {
    return locked([&](Clock::time_point now) {
      AddResult result;
      auto* lines = cart_of(s, now, false);
      const auto* line = lines ? line_of(*lines, sku) : nullptr;
      const std::int64_t current = line ? line->qty : 0;
      const std::int64_t count = lines ? static_cast<std::int64_t>(lines->size()) : 0;
      const std::int64_t wanted = current + qty;
      if (current == 0 && count >= max_lines) {
        result.status = AddResult::Status::kTooManyLines;
        return result;
      }
      if (wanted > limit) {
        result.status = AddResult::Status::kOverLimit;
        result.qty = static_cast<int>(current);
        return result;
      }
      result.qty = static_cast<int>(std::max<std::int64_t>(wanted, INT_MIN));
      if (!lines) lines = cart_of(s, now, true);
      put_line(*lines, std::move(sku), result.qty);
      *version_of(s) = next_version();
      result.cart = *lines;
      return result;
    });
  }

  bool set_now(const Session& s, std::string sku, int qty) {
    locked([&](Clock::time_point now) {
      if (qty > 0) {
        put_line(*cart_of(s, now, true), std::move(sku), qty);
        *version_of(s) = next_version();
        return;
      }
      if (auto* lines = cart_of(s, now, false)) {
        erase_line(*lines, sku);
        *version_of(s) = next_version();
        drop_if_empty(s);
      }
    });
    return true;
  }

  void clear_now(const Session& s) {
    locked([&](Clock::time_point now) {
      if (auto* lines = cart_of(s, now, false)) {
        lines->clear();
        drop_if_empty(s);
      }
    });
  }

  Session rotate_now(const Session& old, std::int64_t user_id) {
    Session fresh{new_id(), user_id};
    locked([&](Clock::time_point now) {
      put_session(fresh.id, user_id, now);
      // The old id stops existing as a session; a guest cart under it lives on until it idles out, as in
      // Redis (sign-in merges it before rotating, so normally there is none left).
      auto it = live_entry(old.id, now);
      if (it == entries_.end() || !it->has_session) return;
      it->has_session = false;
      --sessions_;
      if (it->cart.empty()) erase(it);
    });
    return fresh;
  }

  // The merge script of the Redis store: quantities add, capped at each SKU's limit (none or 0: the line
  // is not taken, and a line the user already has stays as it is); the guest cart is deleted.
  void merge_now(const Session& guest, std::int64_t user_id, std::vector<CartLine> limits) {
    std::unordered_map<std::string, int> cap;
    for (auto& l : limits) cap.insert_or_assign(std::move(l.sku), l.qty);
    locked([&](Clock::time_point now) {
      const Session guest_cart{guest.id, 0};
      Lines taken;
      if (auto* lines = cart_of(guest_cart, now, false)) {
        taken = std::move(*lines);
        lines->clear();
        drop_if_empty(guest_cart);
      }
      if (user_id == 0) return;  // Redis would merge the cart into itself and then delete it
      const Session user{guest.id, user_id};
      auto* into = cart_of(user, now, false);
      for (auto& line : taken) {
        const auto found = cap.find(line.sku);
        const std::int64_t limit = found == cap.end() ? 0 : found->second;
        const auto* have = into ? line_of(*into, line.sku) : nullptr;
        const std::int64_t merged = std::min<std::int64_t>((have ? have->qty : 0) + std::int64_t{line.qty}, limit);
        if (merged <= 0) continue;
        if (!into) into = cart_of(user, now, true);
        put_line(*into, std::move(line.sku), static_cast<int>(merged));
        *version_of(user) = next_version();
      }
    });
  }

  std::chrono::seconds ttl(std::int64_t user_id) const { return user_id ? options_.user_ttl : options_.guest_ttl; }

  // --- sessions (and guest carts), by id ---

  // The entry for `id` with its expired parts dropped; end() when nothing under it is alive.
  Entries::iterator live_entry(std::string_view id, Clock::time_point now) {
    const auto found = by_id_.find(id);
    if (found == by_id_.end()) return entries_.end();
    const auto it = found->second;
    return expire(it, now) ? it : entries_.end();
  }

  // Drops what has expired of the entry; false (and the entry erased) when nothing of it is left.
  bool expire(Entries::iterator it, Clock::time_point now) {
    if (it->has_session && it->session_expires <= now) {
      it->has_session = false;
      --sessions_;
    }
    if (!it->cart.empty() && it->cart_expires <= now) it->cart.clear();
    if (it->has_session || !it->cart.empty()) return true;
    erase(it);
    return false;
  }

  Entries::iterator insert(std::string id) {
    entries_.push_front(Entry{.id = std::move(id)});
    by_id_.emplace(entries_.front().id, entries_.begin());
    while (entries_.size() > options_.max_sessions) erase(std::prev(entries_.end()));
    return entries_.begin();
  }

  void erase(Entries::iterator it) {
    if (it->has_session) --sessions_;
    by_id_.erase(std::string_view(it->id));
    entries_.erase(it);
  }

  void touch(Entries::iterator it) { entries_.splice(entries_.begin(), entries_, it); }

  void put_session(const std::string& id, std::int64_t user_id, Clock::time_point now) {
    auto it = live_entry(id, now);
    if (it == entries_.end()) it = insert(id);
    if (!it->has_session) ++sessions_;
    it->has_session = true;
    it->user_id = user_id;
    it->session_expires = now + ttl(user_id);
    touch(it);
  }

  // --- user carts, by user id ---

  UserCarts::iterator live_user_cart(std::int64_t user_id, Clock::time_point now) {
    const auto found = by_user_.find(user_id);
    if (found == by_user_.end()) return user_carts_.end();
    const auto it = found->second;
    if (it->expires > now) return it;
    erase(it);
    return user_carts_.end();
  }

  void erase(UserCarts::iterator it) {
    by_user_.erase(it->user_id);
    user_carts_.erase(it);
  }

  // --- carts, whichever kind the session has ---

  // The session's cart with its idle expiry renewed; nullptr when it has none, unless `create`.
  Lines* cart_of(const Session& s, Clock::time_point now, bool create) {
    const auto expires = now + ttl(s.user_id);
    if (s.user_id) {
      auto it = live_user_cart(s.user_id, now);
      if (it == user_carts_.end()) {
        if (!create) return nullptr;
        user_carts_.push_front(UserCart{.user_id = s.user_id});
        it = user_carts_.begin();
        by_user_.emplace(s.user_id, it);
        while (user_carts_.size() > options_.max_user_carts) erase(std::prev(user_carts_.end()));
      }
      user_carts_.splice(user_carts_.begin(), user_carts_, it);
      it->expires = expires;
      return &it->lines;
    }
    auto it = live_entry(s.id, now);
    if (it == entries_.end() || it->cart.empty()) {
      if (!create) {
        if (it != entries_.end()) touch(it);
        return nullptr;
      }
      if (it == entries_.end()) it = insert(s.id);
    }
    touch(it);
    it->cart_expires = expires;
    return &it->cart;
  }

  // The version of the session's cart, which cart_of has just found or made (so it exists).
  std::string* version_of(const Session& s) {
    if (s.user_id) return &by_user_.at(s.user_id)->version;
    return &by_id_.find(std::string_view(s.id))->second->cart_version;
  }

  // A version no cart of this process had before, nor one of an earlier process (the nonce).
  std::string next_version() { return fmt::format("{}.{}", nonce_, ++versions_); }

  // Forgets a cart left without lines, and a guest entry left with nothing.
  void drop_if_empty(const Session& s) {
    if (s.user_id) {
      const auto found = by_user_.find(s.user_id);
      if (found != by_user_.end() && found->second->lines.empty()) erase(found->second);
      return;
    }
    const auto found = by_id_.find(s.id);
    if (found != by_id_.end() && found->second->cart.empty() && !found->second->has_session) erase(found->second);
  }

  // The least recently used entries are the likeliest to have expired: look at a few on every operation.
  void purge_tails(Clock::time_point now) {
    for (int i = 0; i < kPurgePerOperation && !entries_.empty(); ++i) {
      if (expire(std::prev(entries_.end()), now)) break;
    }
    for (int i = 0; i < kPurgePerOperation && !user_carts_.empty(); ++i) {
      const auto last = std::prev(user_carts_.end());
      if (last->expires > now) break;
      erase(last);
    }
  }

  MemorySessionOptions options_;
  metrics::Gauge& gauge_;
  std::mutex mutex_;
  Entries entries_;                                                // most recently used first
  std::unordered_map<std::string_view, Entries::iterator> by_id_;  // keys view the entries' ids
  UserCarts user_carts_;                                           // most recently used first
  std::unordered_map<std::int64_t, UserCarts::iterator> by_user_;
  std::size_t sessions_ = 0;  // entries holding a session
  std::string nonce_ = random_token(6);
  std::uint64_t versions_ = 0;
};

}  // namespace

std::shared_ptr<SessionStore> make_memory_store(MemorySessionOptions options) {
  return std::make_shared<MemoryStore>(std::move(options));
}

}  // namespace mc::session
