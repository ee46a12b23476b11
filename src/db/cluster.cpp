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
//   connections is still up; it is probed in the background too, and reconnects on the next use after the
//   backoff. Its backoff stays short (kMaxPrimaryBackoff): while it is down no write can succeed, so trying
//   again soon costs little and lets writes resume within about half a second of a new primary answering.
// - Failover: the primary's conninfo may name several hosts (`host=A,B port=P,Q target_session_attrs=read-write`,
//   a pg_auto_failover pair). A connection tries them in turn, each within db.connect_timeout_ms
//   (connection.cpp, conninfo.hpp), and as primary refuses a server in recovery. A primary connection that
//   breaks, or answers that it is read-only or shutting down (detail::server_gone; then its siblings with it),
//   is closed without backoff, so the next use connects again and finds whichever host is primary now. Every
//   connection opens with statement_timeout = db.statement_timeout_ms, so a server that has stopped making
//   progress ends the statement itself; the client's query timeout remains the bound on what a caller waits.
// - Lag: a replica can be reachable and still be minutes behind (a long query holding back replay, a paused or
//   slow standby). Every replica_check_interval a background check (ReplicaMonitor; one per cluster, i.e. per
//   I/O thread, none without replicas) asks the primary for pg_current_wal_lsn() and each healthy replica for
//   pg_last_wal_replay_lsn(): one small pipelined query per server, never a second while one is out. A replica
//   more than max_replica_lag_bytes behind the newest primary position, or still short of where the primary was
//   max_replica_lag ago (a time lag measured without clocks on the servers, and one that also settles when the
//   primary is idle), is "lagging": out of the round robin until a later check finds it caught up. The rule
//   itself is plain code in replica_lag.cpp. A replica that is not replaying at all (NULL: the primary reached
//   under another name, as the tests do) has no measurable lag and stays in the round robin.
// - Read-your-writes: query_after(min_lsn) runs on a replica in the round robin whose last checked replay
//   position is at least min_lsn, else on the primary. Positions are only as fresh as the last check, so right
//   after a write (and before the first check after start) such reads go to the primary; within about one
//   interval a replica that has replayed the write takes them again.
// - Completion: query() is an async operation (async_initiate); the handler is stored type-erased in a
//   Query, resumed through its own executor (posted, never inline), exactly once, with a result or db::Error:
//   on completion, on deadline, on cancellation, when the connection dies, or when the Cluster closes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <utility>

#include "db/connection.hpp"
#include "db/database.hpp"
#include "db/replica_lag.hpp"

namespace mc::db {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kInitialBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};        // a replica: reads have somewhere else to go
constexpr std::chrono::milliseconds kMaxPrimaryBackoff{500};  // the primary: writes have nowhere else

// The cluster's own statements.
constexpr Statement kCurrentLsn{"mc_current_lsn", "SELECT pg_current_wal_lsn()::text"};
constexpr Statement kReplayLsn{"mc_replay_lsn", "SELECT pg_last_wal_replay_lsn()::text"};
constexpr Statement kPing{"mc_ping", "SELECT 1"};

// "host:port" (several: "a:p,b:q") for logs and metric labels, from the conninfo alone (no password, no
// connection needed).
std::string server_label(const std::string& conninfo) {
  if (const ConnectPlan plan = plan_connection(conninfo); plan.hosts.size() > 1) {
    std::string out;
    for (const auto& host : plan.hosts) out += (out.empty() ? "" : ",") + host.label();
    return out;
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return "unparsable-conninfo";
  std::string host, hostaddr, port;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") port = o->val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  return host + ":" + (port.empty() ? "5432" : port);
}

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
  Role role() const { return role_; }
  const std::string& label() const { return label_; }
  bool healthy() const { return healthy_; }
  // A replica that takes reads: reachable and not lagging.
  bool in_rotation() const { return healthy_ && !replay.lagging; }

  void on_ready(Connection& connection) override;
  void on_lost(Connection& connection, Loss loss, const std::string& reason, std::vector<QueryPtr> orphans) override;

  // What the replica check knows about this replica (kept by ReplicaMonitor; unused on the primary).
  struct Replay {
    std::optional<Lsn> lsn;  // last replay position seen; nullopt: not yet measured, or not replaying
    bool replaying = true;   // false: pg_last_wal_replay_lsn() is NULL (the server is not a standby)
    bool lagging = false;    // out of the round robin until a check finds it caught up
    bool check_pending = false;
    metrics::Gauge* lag_bytes = nullptr;  // myclothes_db_replica_lag_bytes{replica=label}
  } replay;

 private:
  std::shared_ptr<Connection> spawn();
  void schedule_probe();

  ClusterImpl& cluster_;
  Role role_;
  std::string conninfo_;
  std::string label_;
  std::vector<std::shared_ptr<Connection>> slots_;
  bool healthy_ = true;  // optimistic until a connection fails
  bool closed_ = false;
  bool probing_ = false;
  Clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  boost::asio::steady_timer probe_timer_;
};

// Replica health by replay position (design note above): the background check of one cluster. Shared with the
// callbacks of its timer and queries, which hold it weakly and do nothing once it is stopped or gone.
class ReplicaMonitor final : public std::enable_shared_from_this<ReplicaMonitor> {
 public:
  ReplicaMonitor(ClusterImpl& cluster, Node& primary, const std::vector<std::shared_ptr<Node>>& replicas,
                 const DbConfig& config);
  ReplicaMonitor(const ReplicaMonitor&) = delete;
  ReplicaMonitor& operator=(const ReplicaMonitor&) = delete;

  void start();  // the first check now, then one every interval
  void stop();   // cancels the timer; answers still on their way are ignored

 private:
  void tick();
  void send(Node& node, const Statement& stmt);
  void on_answer(Node& node, const std::exception_ptr& error, const Result& result);
  void evaluate(Clock::time_point now);

  ClusterImpl& cluster_;
  Node& primary_;
  const std::vector<std::shared_ptr<Node>>& replicas_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds max_lag_;
  std::uint64_t max_lag_bytes_;
  std::chrono::milliseconds timeout_;
  boost::asio::steady_timer timer_;
  WalHistory history_;
  bool primary_pending_ = false;
  // Whether the primary answered its last check. While it does not (down, or a failover under way) its history
  // stops, and the rule would take out in time every replica that is a few bytes short of the last position
  // seen (an asynchronous replica may never receive them): browsing would stop with the primary. So without a
  // primary no replica leaves the round robin for lag; one that catches up may still come back.
  bool primary_answering_ = true;
  bool stopped_ = false;
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
  Task<bool> ping_primary(std::chrono::milliseconds within) override;
  std::size_t healthy_replicas() const override;
  void close() override;

  // Arms the query's handler, cancellation and deadline, then routes it: to `pinned` when given, otherwise by
  // its role (replica reads fall back to the primary).
  template <class Handler>
  void start(QueryPtr query, Handler&& handler, Node* pinned = nullptr);
  void dispatch(QueryPtr query);
  // A query whose connection went away before its answer arrived.
  void orphaned(Role from, Loss loss, const std::string& reason, QueryPtr query);
  // A replica entered or left the round robin (health or lag): updates myclothes_db_replicas_in_rotation.
  void rotation_changed();

  boost::asio::io_context& io() { return io_; }
  ConnectSettings connect_settings() const { return {config_.connect_timeout, config_.statement_timeout}; }
  metrics::Counter& served(Role role) { return role == Role::kPrimary ? primary_served_ : replica_served_; }

 private:
  Task<Result> initiate(QueryPtr query);
  Node* pick_replica(Lsn min_lsn);

  boost::asio::io_context& io_;
  DbConfig config_;
  metrics::Counter& primary_served_;
  metrics::Counter& replica_served_;
  metrics::Gauge& in_rotation_;
  std::shared_ptr<Node> primary_;
  std::vector<std::shared_ptr<Node>> replicas_;
  std::shared_ptr<ReplicaMonitor> monitor_;  // none without replicas
  std::size_t next_replica_ = 0;
  bool closed_ = false;
};

// ---- Node -------------------------------------------------------------------------------------------------------

Node::Node(ClusterImpl& cluster, Role role, std::string conninfo, unsigned pool_size)
    : cluster_(cluster),
      role_(role),
      conninfo_(std::move(conninfo)),
      label_(server_label(conninfo_)),
      slots_(std::max(1U, pool_size)),
      probe_timer_(cluster.io()) {
  if (role_ == Role::kReplica) {
    replay.lag_bytes = &metrics::registry().gauge("myclothes_db_replica_lag_bytes", {{"replica", label_}});
  }
}

std::shared_ptr<Connection> Node::spawn() {
  auto connection = std::make_shared<Connection>(cluster_.io(), *this, role_, conninfo_, cluster_.connect_settings(),
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
  for (const auto& slot : slots_) {
    if (auto c = slot) c->close(Loss::kClosed, reason);
  }
}

void Node::on_ready(Connection& /*connection*/) {
  backoff_ = std::chrono::milliseconds{0};
  retry_at_ = {};
  last_error_.clear();
  if (!healthy_) {
    healthy_ = true;
    spdlog::info("db: {} {} is reachable again", to_string(role_), label_);
    cluster_.rotation_changed();
  }
}

void Node::on_lost(Connection& connection, Loss loss, const std::string& reason, std::vector<QueryPtr> orphans) {
  for (auto& slot : slots_) {
    if (slot.get() == &connection) slot.reset();
  }
  // A replica that breaks or goes away is out of the round robin until a probe reaches it again. The primary is
  // not backed off for that: the next use connects again at once, and that is how a failover is followed.
  const bool gone = loss == Loss::kBroken || loss == Loss::kServerGone;
  const bool server_failed = loss == Loss::kConnectFailed || (gone && role_ == Role::kReplica);
  if (server_failed && !closed_) {
    last_error_ = reason;
    const auto now = Clock::now();
    if (now >= retry_at_) {  // several connections failing together count as one failure
      const auto cap = role_ == Role::kPrimary ? kMaxPrimaryBackoff : kMaxBackoff;
      backoff_ = backoff_.count() == 0 ? kInitialBackoff : std::min(backoff_ * 2, cap);
      retry_at_ = now + backoff_;
      spdlog::warn("db: {} (retry in {} ms)", reason, backoff_.count());
    }
    const bool was_healthy = healthy_;
    healthy_ = false;
    if (was_healthy && role_ == Role::kReplica) cluster_.rotation_changed();
    schedule_probe();
  } else if (gone) {
    spdlog::warn("db: {}", reason);
  } else if (loss == Loss::kReset) {
    spdlog::info("db: {}", reason);
  }
  // What one connection heard of the primary is true of its others: each would fail one more write before it
  // found out. They go too (kReset: this says nothing about the server's reachability, so no backoff).
  if (loss == Loss::kServerGone && role_ == Role::kPrimary && !closed_) {
    for (const auto& slot : slots_) {
      if (auto other = slot)
        other->close(Loss::kReset, "closed, as another connection to the primary reported: " + reason);
    }
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
    // One new connection is enough to tell; on_ready marks the server healthy, on_lost backs off further.
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
      replica_served_(metrics::registry().counter("myclothes_db_queries_total", {{"role", "replica"}})),
      in_rotation_(metrics::registry().gauge("myclothes_db_replicas_in_rotation")) {
  auto& registry = metrics::registry();
  registry.describe("myclothes_db_queries_total", "SQL statements answered, by the role that served them");
  registry.describe("myclothes_db_replica_lag_bytes",
                    "WAL bytes a replica's replay position was behind the primary's at the last check");
  registry.describe("myclothes_db_replicas_in_rotation", "Replicas taking reads: reachable and not lagging");
  primary_ = std::make_shared<Node>(*this, Role::kPrimary, config_.primary, config_.pool_size);
  for (const auto& replica : config_.replicas) {
    replicas_.push_back(std::make_shared<Node>(*this, Role::kReplica, replica, config_.pool_size));
  }
  rotation_changed();
  // Connect now (asynchronously) so the first requests do not pay for it and replica health is known early.
  primary_->connect_all();
  for (auto& replica : replicas_) replica->connect_all();
  if (!replicas_.empty()) {
    monitor_ = std::make_shared<ReplicaMonitor>(*this, *primary_, replicas_, config_);
    monitor_->start();
  }
}

Task<Result> ClusterImpl::query(Role role, const Statement& stmt, Params params) {
  // Not a coroutine: the statement is copied now, while the caller's views are surely alive.
  return initiate(std::make_shared<Query>(io_, role, stmt, std::move(params), config_.query_timeout));
}

Task<Result> ClusterImpl::query_after(const Statement& stmt, Params params, Lsn min_lsn) {
  // Not a coroutine either (see query()). The replica is chosen by dispatch(), also when the query is retried.
  auto query = std::make_shared<Query>(io_, Role::kReplica, stmt, std::move(params), config_.query_timeout);
  query->min_lsn = min_lsn;
  return initiate(std::move(query));
}

Task<Result> ClusterImpl::initiate(QueryPtr query) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, Result)>(
      [this](auto handler, QueryPtr q) { start(std::move(q), std::move(handler)); }, boost::asio::use_awaitable,
      std::move(query));
}

template <class Handler>
void ClusterImpl::start(QueryPtr query, Handler&& handler, Node* pinned) {
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
  if (pinned != nullptr) {
    pinned->submit(std::move(query));
  } else {
    dispatch(std::move(query));
  }
}

void ClusterImpl::dispatch(QueryPtr query) {
  if (closed_) {
    query->fail("database cluster closed");
    return;
  }
  Node* node = query->role == Role::kReplica ? pick_replica(query->min_lsn) : nullptr;
  (node ? *node : *primary_).submit(std::move(query));
}

Node* ClusterImpl::pick_replica(Lsn min_lsn) {
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    const std::size_t index = (next_replica_ + i) % replicas_.size();
    const Node& node = *replicas_[index];
    if (!node.in_rotation()) continue;
    if (min_lsn != 0 && !(node.replay.lsn && *node.replay.lsn >= min_lsn)) continue;
    next_replica_ = index + 1;
    return replicas_[index].get();
  }
  return nullptr;
}

void ClusterImpl::orphaned(Role from, Loss loss, const std::string& reason, QueryPtr query) {
  if (query->done()) return;
  // Replica reads have no side effects, so one more try elsewhere is safe; a primary statement may have run.
  // A replica check asks one server about itself: elsewhere its answer would mean something else.
  if (!closed_ && loss != Loss::kClosed && from == Role::kReplica && !query->retried && !query->check) {
    query->retried = true;
    dispatch(std::move(query));
    return;
  }
  query->fail(reason);
}

void ClusterImpl::rotation_changed() { in_rotation_.set(static_cast<double>(healthy_replicas())); }

Task<Lsn> ClusterImpl::primary_lsn() {
  Params none;  // named: no temporaries with destructors inside co_await (GCC 12, see make_params)
  const Result r = co_await query(Role::kPrimary, kCurrentLsn, std::move(none));
  co_return r.rows() == 1 ? parse_lsn(r.text(0, 0)).value_or(0) : 0;
}

Task<bool> ClusterImpl::ping_primary(std::chrono::milliseconds within) {
  // The caller stops waiting after `within`, but the ping keeps its query timeout: a slow answer is only late,
  // and only a server that does not answer at all has its connection reset.
  auto ping = std::make_shared<Query>(io_, Role::kPrimary, kPing, Params{}, config_.query_timeout);
  boost::asio::steady_timer budget(io_);
  budget.expires_after(within);
  budget.async_wait([weak = std::weak_ptr<Query>(ping), within](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto q = weak.lock()) q->fail("ping: no answer within " + std::to_string(within.count()) + " ms");
  });
  try {
    const Result result = co_await initiate(std::move(ping));
    budget.cancel();
    co_return result.rows() == 1;
  } catch (const Error& e) {
    budget.cancel();
    spdlog::debug("db: ping failed: {}", e.what());
    co_return false;
  }
}

std::size_t ClusterImpl::healthy_replicas() const {
  return static_cast<std::size_t>(
      std::count_if(replicas_.begin(), replicas_.end(), [](const auto& node) { return node->in_rotation(); }));
}

void ClusterImpl::close() {
  if (closed_) return;
  closed_ = true;
  if (monitor_) monitor_->stop();
  primary_->close("database cluster closed");
  for (auto& replica : replicas_) replica->close("database cluster closed");
}

// ---- ReplicaMonitor ---------------------------------------------------------------------------------------------

ReplicaMonitor::ReplicaMonitor(ClusterImpl& cluster, Node& primary, const std::vector<std::shared_ptr<Node>>& replicas,
                               const DbConfig& config)
    : cluster_(cluster),
      primary_(primary),
      replicas_(replicas),
      interval_(std::max(config.replica_check_interval, std::chrono::milliseconds{1})),
      max_lag_(config.max_replica_lag),
      max_lag_bytes_(config.max_replica_lag_bytes),
      timeout_(config.query_timeout),
      timer_(cluster.io()),
      history_(config.max_replica_lag) {}

void ReplicaMonitor::start() { tick(); }

void ReplicaMonitor::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ReplicaMonitor::tick() {
  if (stopped_) return;
  // One question per server at a time: a server slower than the interval is asked again once it has answered.
  if (!primary_pending_) {
    primary_pending_ = true;
    send(primary_, kCurrentLsn);
  }
  for (const auto& replica : replicas_) {
    // An unreachable replica is the probe's business (Node::schedule_probe); asking it would only reconnect more.
    if (!replica->healthy() || replica->replay.check_pending) continue;
    replica->replay.check_pending = true;
    send(*replica, kReplayLsn);
  }
  timer_.expires_after(interval_);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->tick();
  });
}

void ReplicaMonitor::send(Node& node, const Statement& stmt) {
  auto query = std::make_shared<Query>(cluster_.io(), node.role(), stmt, Params{}, timeout_);
  query->check = true;
  auto handler = [weak = weak_from_this(), target = node.weak_from_this()](const std::exception_ptr& error,
                                                                           const Result& result) {
    auto self = weak.lock();
    auto asked = target.lock();
    if (self && asked) self->on_answer(*asked, error, result);
  };
  cluster_.start(std::move(query), std::move(handler), &node);
}

void ReplicaMonitor::on_answer(Node& node, const std::exception_ptr& error, const Result& result) {
  const bool primary = &node == &primary_;
  (primary ? primary_pending_ : node.replay.check_pending) = false;
  if (stopped_) return;
  const auto now = Clock::now();
  if (primary && static_cast<bool>(error) == primary_answering_) {
    primary_answering_ = !error;
    if (error) {
      spdlog::info("db: the primary does not answer: replicas stay in the round robin whatever their lag");
    } else {
      spdlog::info("db: the primary answers again: replica lag is judged again");
    }
  }
  if (error) {
    // A replica that cannot be reached is marked unhealthy by its connections; nothing more to do here. Its last
    // known position stays: if the primary moves on meanwhile, the time rule finds it lagging.
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::debug("db: replica check on {} {} failed: {}", to_string(node.role()), node.label(), e.what());
    } catch (...) {
      spdlog::debug("db: replica check on {} {} failed", to_string(node.role()), node.label());
    }
    return;
  }
  const bool null = result.rows() == 1 && result.is_null(0, 0);
  const std::optional<Lsn> lsn = result.rows() == 1 && !null ? parse_lsn(result.text(0, 0)) : std::nullopt;
  if (!lsn && !null) {
    spdlog::warn("db: replica check on {} {}: unexpected answer", to_string(node.role()), node.label());
    return;
  }
  if (primary) {
    if (lsn) history_.record(now, *lsn);
  } else {
    if (node.replay.replaying == null) {
      node.replay.replaying = !null;
      if (null) {
        spdlog::info(
            "db: replica {} is not replaying WAL (not a standby): its lag cannot be measured, so it stays "
            "in the round robin but read-your-writes reads do not use it",
            node.label());
      } else {
        spdlog::info("db: replica {} is replaying WAL", node.label());
      }
    }
    node.replay.lsn = lsn;
  }
  evaluate(now);
}

void ReplicaMonitor::evaluate(Clock::time_point now) {
  bool changed = false;
  for (const auto& replica : replicas_) {
    Node::Replay& replay = replica->replay;
    const ReplicaLag lag = replay.lsn ? measure_lag(history_, *replay.lsn, now, max_lag_bytes_) : ReplicaLag{};
    replay.lag_bytes->set(static_cast<double>(lag.bytes));
    if (lag.lagging() == replay.lagging) continue;
    if (lag.lagging() && !primary_answering_) continue;
    replay.lagging = lag.lagging();
    changed = true;
    if (lag.lagging()) {
      const std::string why = lag.too_many_bytes
                                  ? fmt::format("{} bytes behind the primary, more than {}", lag.bytes, max_lag_bytes_)
                                  : fmt::format(
                                        "has not replayed what the primary had written {} ms "
                                        "ago",
                                        max_lag_.count());
      spdlog::warn("db: replica {} is lagging ({}; replayed up to {}): out of the round robin", replica->label(), why,
                   format_lsn(*replay.lsn));
    } else {
      spdlog::info("db: replica {} has caught up (replayed up to {}, {} bytes behind): back in the round robin",
                   replica->label(), format_lsn(replay.lsn.value_or(0)), lag.bytes);
    }
  }
  if (changed) cluster_.rotation_changed();
}

}  // namespace detail

std::unique_ptr<Cluster> make_cluster(boost::asio::io_context& io, const DbConfig& config) {
  return std::make_unique<detail::ClusterImpl>(io, config);
}

}  // namespace mc::db
