// The asynchronous PostgreSQL layer: per I/O thread, a pool of libpq connections to the primary and to each
// replica, every connection in non-blocking pipeline mode on the thread's io_context.
//
// Design note
// - Why a pipeline per connection: the store's hot path is many short statements from many coroutines on
//   one thread. With one query per connection at a time we would need a connection per concurrent request
//   (PostgreSQL backends are processes: expensive) and pay one round trip each. In pipeline mode a handful of
//   connections carry every concurrent query back to back; the server works through them while later ones are
//   still on the wire. Each query gets its own PQpipelineSync, so an error aborts only that query's part of
//   the pipeline (libpq 15 has no PQsendPipelineSync; each sync flushes, which is fine at our sizes).
// - Why FIFO matching: PostgreSQL answers a connection's commands strictly in order, so a deque of in-flight
//   queries mirrors the pipeline. Results are matched to the front of the deque; PGRES_PIPELINE_SYNC marks
//   the end of one query. A cancelled query stays in the deque (its result is read and dropped), otherwise
//   every later answer would go to the wrong caller.
// - Why a timeout resets the connection: once a query overstays its deadline the server may still be busy with
//   it and every query behind it waits too; libpq 15 can only cancel with a blocking PQcancel. So the timed-out
//   query fails with "timeout", the connection is closed (the queries behind it fail, or - replica reads,
//   which are side-effect free - retry once elsewhere) and the next query opens a fresh connection.
// - Health: a connection that cannot connect puts its server in exponential backoff. Replicas in backoff are
//   "unhealthy", skipped by the round robin and probed in the background; with none healthy, replica reads go
//   to the primary. The primary in backoff fails queries at once (db::Error, empty sqlstate) unless one of its
//   connections is still up; it reconnects on the next use after the backoff.
// - Completion: query() is an async operation (async_initiate); the handler is stored type-erased in a
//   Query, resumed through its own executor (posted, never inline), exactly once, with a result or db::Error:
//   on completion, on deadline, on cancellation, when the connection dies, or when the Cluster closes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "db/connection.hpp"
#include "db/database.hpp"

namespace mc::db {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kInitialBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

}  // namespace

class ClusterImpl;

// One server (the primary or one replica) and its pool of connections.
class Node final : public ConnectionOwner, public std::enable_shared_from_this<Node> {
 public:
  Node(ClusterImpl& cluster, Role role, std::string conninfo, unsigned pool_size);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node() = default;

  void connect_all();
  void submit(QueryPtr query);
  void close(const std::string& reason);
  bool healthy() const { return healthy_; }

  void on_ready(Connection& connection) override;
  void on_lost(Connection& connection, Loss loss, const std::string& reason, std::vector<QueryPtr> orphans) override;

 private:
  std::shared_ptr<Connection> spawn();
  void schedule_probe();

  ClusterImpl& cluster_;
  Role role_;
  std::string conninfo_;
  std::vector<std::shared_ptr<Connection>> slots_;
  bool healthy_ = true;  // optimistic until a connection fails
  bool closed_ = false;
  bool probing_ = false;
  Clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  boost::asio::steady_timer probe_timer_;
};

class ClusterImpl final : public Cluster {
 public:
  ClusterImpl(boost::asio::io_context& io, const DbConfig& config);
  ClusterImpl(const ClusterImpl&) = delete;
  ClusterImpl& operator=(const ClusterImpl&) = delete;
  ~ClusterImpl() override { close(); }

  Task<Result> query(Role role, const Statement& stmt, Params params) override;
  Task<Result> query_after(const Statement& stmt, Params params, Lsn min_lsn) override;
  Task<Lsn> primary_lsn() override;
  Task<bool> ping_primary() override;
  std::size_t healthy_replicas() const override;
  void close() override;

  // Routes a query to a server of its role (replica reads fall back to the primary).
  void dispatch(QueryPtr query);
  // A query whose connection went away before its answer arrived.
  void orphaned(Role from, Loss loss, const std::string& reason, QueryPtr query);

  boost::asio::io_context& io() { return io_; }
  std::chrono::milliseconds connect_timeout() const { return config_.query_timeout; }
  metrics::Counter& served(Role role) { return role == Role::kPrimary ? primary_served_ : replica_served_; }

 private:
  template <class Handler>
  void start(QueryPtr query, Handler&& handler);
  Node* pick_replica();

  boost::asio::io_context& io_;
  DbConfig config_;
  metrics::Counter& primary_served_;
  metrics::Counter& replica_served_;
  std::shared_ptr<Node> primary_;
  std::vector<std::shared_ptr<Node>> replicas_;
  std::size_t next_replica_ = 0;
  bool closed_ = false;
};

// ---- Node -------------------------------------------------------------------------------------------------------

Node::Node(ClusterImpl& cluster, Role role, std::string conninfo, unsigned pool_size)
    : cluster_(cluster),
      role_(role),
      conninfo_(std::move(conninfo)),
      slots_(std::max(1U, pool_size)),
      probe_timer_(cluster.io()) {}

std::shared_ptr<Connection> Node::spawn() {
  auto connection = std::make_shared<Connection>(cluster_.io(), *this, role_, conninfo_, cluster_.connect_timeout(),
                                                 cluster_.served(role_));
  connection->start();
  return connection;
}

void Node::connect_all() {
  for (auto& slot : slots_) {
    if (!slot) slot = spawn();
  }
}

void Node::submit(QueryPtr query) {
  if (closed_) {
    query->fail("database cluster closed");
    return;
  }
  // In backoff only connections that still exist take queries; no new connection is started.
  const bool may_connect = Clock::now() >= retry_at_;
  std::size_t best = slots_.size();
  std::pair<std::size_t, int> best_key{};
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const auto& c = slots_[i];
    if (!c && !may_connect) continue;
    // Fewest queries in flight; on a tie prefer a ready connection, then one connecting, then a new one.
    const std::pair<std::size_t, int> key =
        c ? std::pair<std::size_t, int>{c->load(), c->ready() ? 0 : 1} : std::pair<std::size_t, int>{0, 2};
    if (best == slots_.size() || key < best_key) {
      best = i;
      best_key = key;
    }
  }
  if (best == slots_.size()) {
    query->fail(std::string(to_string(role_)) + " unavailable (reconnecting after backoff): " + last_error_);
    return;
  }
  if (!slots_[best]) slots_[best] = spawn();
  auto connection = slots_[best];  // keeps it alive even if submit() closes it
  connection->submit(std::move(query));
}

void Node::close(const std::string& reason) {
  closed_ = true;
  probe_timer_.cancel();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (auto c = slots_[i]) c->close(Loss::kClosed, reason);
  }
}

void Node::on_ready(Connection& /*connection*/) {
  backoff_ = std::chrono::milliseconds{0};
  retry_at_ = {};
  last_error_.clear();
  if (!healthy_) {
    healthy_ = true;
    spdlog::info("db: a {} is reachable again", to_string(role_));
  }
}

void Node::on_lost(Connection& connection, Loss loss, const std::string& reason, std::vector<QueryPtr> orphans) {
  for (auto& slot : slots_) {
    if (slot.get() == &connection) slot.reset();
  }
  const bool server_failed = loss == Loss::kConnectFailed || (loss == Loss::kBroken && role_ == Role::kReplica);
  if (server_failed && !closed_) {
    last_error_ = reason;
    const auto now = Clock::now();
    if (now >= retry_at_) {  // several connections failing together count as one failure
      backoff_ = backoff_.count() == 0 ? kInitialBackoff : std::min(backoff_ * 2, kMaxBackoff);
      retry_at_ = now + backoff_;
      spdlog::warn("db: {} (retry in {} ms)", reason, backoff_.count());
    }
    if (role_ == Role::kReplica) {
      healthy_ = false;
      schedule_probe();
    }
  } else if (loss == Loss::kBroken) {
    spdlog::warn("db: {}", reason);
  } else if (loss == Loss::kReset) {
    spdlog::info("db: {}", reason);
  }
  for (auto& query : orphans) cluster_.orphaned(role_, loss, reason, std::move(query));
}

void Node::schedule_probe() {
  if (probing_ || closed_) return;
  probing_ = true;
  probe_timer_.expires_at(retry_at_);
  probe_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->probing_ = false;
    if (self->closed_) return;
    // One new connection is enough to tell; on_ready marks the replica healthy, on_lost backs off further.
    for (auto& slot : self->slots_) {
      if (!slot) {
        slot = self->spawn();
        return;
      }
    }
  });
}

// ---- ClusterImpl ------------------------------------------------------------------------------------------------

ClusterImpl::ClusterImpl(boost::asio::io_context& io, const DbConfig& config)
    : io_(io),
      config_(config),
      primary_served_(metrics::registry().counter("myclothes_db_queries_total", {{"role", "primary"}})),
      replica_served_(metrics::registry().counter("myclothes_db_queries_total", {{"role", "replica"}})) {
  metrics::registry().describe("myclothes_db_queries_total", "SQL statements answered, by the role that served them");
  primary_ = std::make_shared<Node>(*this, Role::kPrimary, config_.primary, config_.pool_size);
  for (const auto& replica : config_.replicas) {
    replicas_.push_back(std::make_shared<Node>(*this, Role::kReplica, replica, config_.pool_size));
  }
  // Connect now (asynchronously) so the first requests do not pay for it and replica health is known early.
  primary_->connect_all();
  for (auto& replica : replicas_) replica->connect_all();
}

Task<Result> ClusterImpl::query(Role role, const Statement& stmt, Params params) {
  // Not a coroutine: the statement is copied now, while the caller's views are surely alive.
  auto query = std::make_shared<Query>(io_, role, stmt, std::move(params), config_.query_timeout);
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, Result)>(
      [this](auto handler, QueryPtr q) { start(std::move(q), std::move(handler)); }, boost::asio::use_awaitable,
      std::move(query));
}

template <class Handler>
void ClusterImpl::start(QueryPtr query, Handler&& handler) {
  query->executor = boost::asio::get_associated_executor(handler, io_.get_executor());
  // Not `query->handler = ...`: Boost 1.81's any_completion_handler move assignment wraps the handler in itself
  // recursively (it passes the source as an lvalue to its converting constructor). swap() is safe.
  QueryHandler(std::forward<Handler>(handler)).swap(query->handler);
  // The type-erased handler has taken the caller's cancellation slot (and forwards terminal cancellation to its
  // own slot): listen there, not on the caller's slot, or we would displace it.
  auto slot = query->handler.get_cancellation_slot();
  if (slot.is_connected()) {
    query->slot = slot;
    slot.assign([weak = std::weak_ptr<Query>(query)](boost::asio::cancellation_type type) {
      if ((type & (boost::asio::cancellation_type::terminal | boost::asio::cancellation_type::partial)) ==
          boost::asio::cancellation_type::none) {
        return;
      }
      if (auto q = weak.lock()) q->abandon();
    });
  }
  query->deadline.expires_after(query->timeout);
  query->deadline.async_wait([weak = std::weak_ptr<Query>(query)](const boost::system::error_code& ec) {
    auto q = weak.lock();
    if (ec || !q) return;
    if (!q->done()) {
      q->fail("timeout: statement " + q->name + " did not complete within " + std::to_string(q->timeout.count()) +
              " ms");
    }
    // Still in a pipeline (also when its caller already gave up): everything behind it is stuck too.
    if (q->sent) {
      if (auto c = q->connection.lock())
        c->close(Loss::kReset, "connection reset: statement " + q->name + " timed out");
    }
  });
  dispatch(std::move(query));
}

void ClusterImpl::dispatch(QueryPtr query) {
  if (closed_) {
    query->fail("database cluster closed");
    return;
  }
  Node* node = query->role == Role::kReplica ? pick_replica() : nullptr;
  (node ? *node : *primary_).submit(std::move(query));
}

Node* ClusterImpl::pick_replica() {
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    const std::size_t index = (next_replica_ + i) % replicas_.size();
    if (replicas_[index]->healthy()) {
      next_replica_ = index + 1;
      return replicas_[index].get();
    }
  }
  return nullptr;
}

void ClusterImpl::orphaned(Role from, Loss loss, const std::string& reason, QueryPtr query) {
  if (query->done()) return;
  // Replica reads have no side effects, so one more try elsewhere is safe; a primary statement may have run.
  if (!closed_ && loss != Loss::kClosed && from == Role::kReplica && !query->retried) {
    query->retried = true;
    dispatch(std::move(query));
    return;
  }
  query->fail(reason);
}

Task<Result> ClusterImpl::query_after(const Statement& stmt, Params params, Lsn min_lsn) {
  // Without a known replay position for the replicas, only the primary has surely seen the write.
  const Role role = min_lsn == 0 ? Role::kReplica : Role::kPrimary;
  co_return co_await query(role, stmt, std::move(params));
}

Task<Lsn> ClusterImpl::primary_lsn() {
  static constexpr Statement kLsn{"mc_current_lsn", "SELECT pg_current_wal_lsn()::text"};
  const Result r = co_await query(Role::kPrimary, kLsn, {});
  co_return r.rows() == 1 ? parse_lsn(r.text(0, 0)).value_or(0) : 0;
}

Task<bool> ClusterImpl::ping_primary() {
  static constexpr Statement kPing{"mc_ping", "SELECT 1"};
  try {
    const Result result = co_await query(Role::kPrimary, kPing, {});
    co_return result.rows() == 1;
  } catch (const Error& e) {
    spdlog::debug("db: ping failed: {}", e.what());
    co_return false;
  }
}

std::size_t ClusterImpl::healthy_replicas() const {
  return static_cast<std::size_t>(
      std::count_if(replicas_.begin(), replicas_.end(), [](const auto& node) { return node->healthy(); }));
}

void ClusterImpl::close() {
  if (closed_) return;
  closed_ = true;
  primary_->close("database cluster closed");
  for (auto& replica : replicas_) replica->close("database cluster closed");
}

}  // namespace detail

std::unique_ptr<Cluster> make_cluster(boost::asio::io_context& io, const DbConfig& config) {
  return std::make_unique<detail::ClusterImpl>(io, config);
}

}  // namespace mc::db
