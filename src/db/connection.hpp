#pragma once

// Internal to src/db: one libpq connection in non-blocking pipeline mode, driven by an Asio io_context.
// Only cluster.cpp and connection.cpp include this header (it pulls in libpq-fe.h and Asio).

#include <libpq-fe.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/metrics.hpp"
#include "db/conninfo.hpp"
#include "db/database.hpp"

namespace mc::db::detail {

class Connection;

using QueryHandler = boost::asio::any_completion_handler<void(std::exception_ptr, Result)>;

// One call of Cluster::query, from submission until its awaiting coroutine is resumed. Shared between the
// connection whose pipeline holds it, its deadline timer and the caller's cancellation slot.
struct Query {
  Query(boost::asio::io_context& io, Role role, const Statement& stmt, Params params,
        std::chrono::milliseconds timeout);
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  bool done() const { return !handler; }

  // Resumes the caller (through its executor, never inline) with an error or a result. Idempotent.
  void finish(std::exception_ptr error, Result result = {});
  void fail(const std::string& message, const std::string& sqlstate = {});

  // The caller gave up (cancellation slot). The query stays in its pipeline so results still match FIFO.
  void abandon();

  Role role;
  std::string name;
  std::string sql;
  Params params;
  std::chrono::milliseconds timeout;
  QueryHandler handler;
  boost::asio::any_io_executor executor;  // the caller's: where it is resumed
  boost::asio::cancellation_slot slot;
  boost::asio::steady_timer deadline;
  std::weak_ptr<Connection> connection;  // where it waits now
  bool sent = false;                     // in a connection's pipeline, its sync not yet read back
  bool retried = false;                  // already moved once to another connection
  Lsn min_lsn = 0;                       // a replica read must run where this much WAL has been replayed
  // The cluster's own replica check: runs on the server it was given to or fails (never moved elsewhere),
  // and is not counted in myclothes_db_queries_total (which counts the application's statements).
  bool check = false;
};

using QueryPtr = std::shared_ptr<Query>;

// Why a connection went away; the owner decides about backoff, replica health and the orphaned queries.
enum class Loss {
  kConnectFailed,  // never became ready (refused, authentication, connect timeout)
  kBroken,         // was ready, then the socket or the protocol failed
  kReset,          // closed on purpose: a query on it timed out, the pipeline is out of step
  kServerGone,     // the server said it cannot serve this role now: read-only (a standby) or shutting down
  kClosed,         // the cluster is shutting down
};

// A primary's answer that means the server behind the connection is no longer (or not yet) a primary that
// takes writes, so the connection must go and a new one find the server that is: 25006 read_only_sql_transaction
// (a standby, a demoted primary), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now.
bool server_gone(std::string_view sqlstate);

// How every connection of a cluster opens (DbConfig::connect_timeout, statement_timeout).
struct ConnectSettings {
  std::chrono::milliseconds timeout_per_host{2000};
  std::chrono::milliseconds statement_timeout{0};  // 0: not sent
};

class ConnectionOwner {
 public:
  virtual void on_ready(Connection& connection) = 0;
  // `orphans` are the unfinished queries that were queued or in flight on `connection`, oldest first.
  virtual void on_lost(Connection& connection, Loss loss, const std::string& reason, std::vector<QueryPtr> orphans) = 0;

 protected:
  ~ConnectionOwner() = default;
};

// One server connection from PQconnectStart to PQfinish; never reused after it closes (the owner makes a new
// one). Always owned by a shared_ptr: asynchronous waits hold a weak_ptr and an epoch, so a wait that
// completes after close() or destruction does nothing.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State { kIdle, kConnecting, kReady, kClosed };

  Connection(boost::asio::io_context& io, ConnectionOwner& owner, Role role, std::string conninfo,
             const ConnectSettings& settings, metrics::Counter& served);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Starts connecting: to each host of the conninfo in turn (conninfo.hpp), each within the per-host timeout,
  // until one is ready; a primary connection also refuses a server in recovery. Never blocks (beyond host name
  // resolution when conninfo names a host, not an address) and never calls the owner back synchronously.
  void start();

  // Sends the query now when ready, otherwise queues it until the connection is.
  void submit(QueryPtr query);

  // Closes the connection and hands every unfinished query to the owner. Idempotent.
  void close(Loss loss, const std::string& reason);

  State state() const { return state_; }
  bool ready() const { return state_ == State::kReady; }
  std::size_t load() const { return queued_.size() + in_flight_.size(); }

 private:
  // A query in the pipeline: [prepare results, NULL,] execute results, NULL, PIPELINE_SYNC.
  struct InFlight {
    enum class Stage { kPrepare, kExecute, kSync };
    QueryPtr query;
    Stage stage;
    std::shared_ptr<pg_result> result;
    bool failed = false;
    std::string error;
    std::string sqlstate;
  };

  void start_attempt();
  void attempt_failed(const std::string& reason);
  void wait(boost::asio::posix::stream_descriptor::wait_type type);
  void on_event(bool readable, const boost::system::error_code& ec);
  void poll_connect();
  void on_connected();
  bool rebind_socket();
  bool send(const QueryPtr& query);
  void pump();
  bool flush();
  bool input_pending(bool first_round) const;
  void process_results();
  void complete(InFlight& entry);
  std::string error_message() const;
  std::string describe() const;

  boost::asio::io_context& io_;
  ConnectionOwner& owner_;
  Role role_;
  std::string conninfo_;
  ConnectSettings settings_;
  metrics::Counter& served_;
  ConnectPlan plan_;
  std::size_t next_host_ = 0;   // index into plan_.hosts of the next attempt
  std::uint64_t attempt_ = 0;   // bumped per attempt; a stale connect deadline compares it
  std::string attempt_errors_;  // why the hosts tried so far failed, for the owner's log
  PGconn* conn_ = nullptr;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer connect_timer_;
  State state_ = State::kIdle;
  std::uint64_t epoch_ = 0;  // bumped whenever the socket is re-registered or closed; stale waits compare it
  bool reading_ = false;
  bool writing_ = false;
  bool ssl_ = false;
  std::deque<QueryPtr> queued_;               // waiting for the connection to become ready
  std::deque<InFlight> in_flight_;            // sent, in pipeline order
  std::unordered_set<std::string> prepared_;  // statement names prepared (or being prepared) on this connection
};

}  // namespace mc::db::detail
