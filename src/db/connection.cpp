// One libpq connection in non-blocking pipeline mode on Asio. The design note (why pipelines, FIFO matching,
// why a timeout resets the connection) is at the top of cluster.cpp.
//
// Asio registers descriptors edge-triggered and its async_wait never tries speculatively, so a readiness edge
// that arrives while libpq is already holding (or has already read) the data would never be reported again.
// Hence every interaction ends in pump(): flush, read whatever the kernel still holds (FIONREAD), and drain
// every complete result libpq has buffered, before waiting again.
#include "db/connection.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <boost/asio/post.hpp>
#include <utility>

namespace mc::db::detail {
namespace {

constexpr int kMaxFlushRounds = 64;  // each round sends up to 64 KiB; then yield to other work
constexpr int kMaxReadRounds = 64;

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running..."); logs want one line.
std::string one_line(const char* text) {
  std::string out;
  for (const char* p = text ? text : ""; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += *p;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void log_notice(void* /*arg*/, const char* message) { spdlog::debug("db: server notice: {}", one_line(message)); }

// PostgreSQL 14 and later report in_hot_standby at connect and whenever it changes (a promotion); older servers
// do not, and are taken at their word.
bool in_recovery(const PGconn* conn) {
  const char* value = PQparameterStatus(conn, "in_hot_standby");
  return value != nullptr && std::string_view(value) == "on";
}

}  // namespace

bool server_gone(std::string_view sqlstate) {
  return sqlstate == "25006" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

// ---- Query ------------------------------------------------------------------------------------------------------

Query::Query(boost::asio::io_context& io, Role role_in, const Statement& stmt, Params params_in,
             std::chrono::milliseconds timeout_in)
    : role(role_in), name(stmt.name), sql(stmt.sql), params(std::move(params_in)), timeout(timeout_in), deadline(io) {}

Query::~Query() {
  // Safety net: a query must never vanish with its caller still suspended.
  if (handler) fail("query dropped: its connection was destroyed");
}

void Query::finish(std::exception_ptr error, Result result) {
  if (!handler) return;
  // A query still in a pipeline keeps its deadline: if the server never answers, the timer resets the connection.
  if (!sent) deadline.cancel();
  if (slot.is_connected()) slot.clear();
  slot = {};
  QueryHandler h = std::move(handler);
  handler = nullptr;
  boost::asio::post(executor, [h = std::move(h), error, result = std::move(result)]() mutable {
    std::move(h)(error, std::move(result));
  });
}

void Query::fail(const std::string& message, const std::string& sqlstate) {
  finish(std::make_exception_ptr(Error(message, sqlstate)));
}

void Query::abandon() {
  slot = {};  // called from inside the slot's handler: it must not be cleared (destroyed) from here
  fail("query cancelled: statement " + name);
}

// ---- Connection -------------------------------------------------------------------------------------------------

Connection::Connection(boost::asio::io_context& io, ConnectionOwner& owner, Role role, std::string conninfo,
                       const ConnectSettings& settings, metrics::Counter& served)
    : io_(io),
      owner_(owner),
      role_(role),
      conninfo_(std::move(conninfo)),
      settings_(settings),
      served_(served),
      socket_(io),
      connect_timer_(io) {}

Connection::~Connection() {
  // Asio must forget the descriptor before libpq closes it, or the fd would be closed twice.
  if (socket_.is_open()) socket_.release();
  if (conn_) PQfinish(conn_);
  // Unfinished queries in queued_ / in_flight_ fail from Query's destructor.
}

void Connection::start() {
  state_ = State::kConnecting;
  plan_ = plan_connection(conninfo_);
  plan_.options = session_options(plan_.options, settings_.statement_timeout);
  start_attempt();
}

// One host of the plan. Parameters after the expanded conninfo (dbname) override what it says, those before it
// are defaults it may override (libpq's rule for expand_dbname).
void Connection::start_attempt() {
  const HostTarget& target = plan_.hosts[next_host_++];
  const std::uint64_t attempt = ++attempt_;
  // A server cut off mid-connection (a zone partition: no RST ever comes) is given up within the connect
  // timeout: data it does not acknowledge (tcp_user_timeout) or silence on an idle connection (keepalives)
  // breaks the connection, so its queries go elsewhere instead of waiting for their own deadline. Before the
  // conninfo: its own settings win.
  const auto user_timeout = std::to_string(std::max<long long>(1, settings_.timeout_per_host.count()));
  std::vector<const char*> keys{
      "keepalives",      "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
      "client_encoding", "dbname"};
  std::vector<const char*> values{"1", "2", "1", "2", user_timeout.c_str(), "UTF8", conninfo_.c_str()};
  const auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(value.c_str());
  };
  add("host", target.host);
  add("hostaddr", target.hostaddr);
  add("port", target.port);
  add("options", plan_.options);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keys.data(), values.data(), 1);

  connect_timer_.expires_after(settings_.timeout_per_host);
  connect_timer_.async_wait([weak = weak_from_this(), attempt](const boost::system::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self || self->state_ != State::kConnecting || self->attempt_ != attempt) return;
    self->attempt_failed("timeout: not connected within " + std::to_string(self->settings_.timeout_per_host.count()) +
                         " ms");
  });

  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD || !rebind_socket()) {
    // Report asynchronously: the owner is in the middle of choosing this connection.
    boost::asio::post(io_, [weak = weak_from_this(), attempt, reason = error_message()] {
      auto self = weak.lock();
      if (self && self->state_ == State::kConnecting && self->attempt_ == attempt) self->attempt_failed(reason);
    });
    return;
  }
  PQsetNoticeProcessor(conn_, &log_notice, nullptr);
  wait(boost::asio::posix::stream_descriptor::wait_write);  // libpq: start as if polling returned WRITING
}

// This host did not become a usable connection: the next one, or the owner hears that none did.
void Connection::attempt_failed(const std::string& reason) {
  const HostTarget& target = plan_.hosts[next_host_ - 1];
  if (!attempt_errors_.empty()) attempt_errors_ += "; ";
  if (plan_.hosts.size() > 1) attempt_errors_ += target.label() + ": ";
  attempt_errors_ += reason;
  const bool last = next_host_ >= plan_.hosts.size();
  if (!last) spdlog::debug("db: {} {}: {} (trying the next host)", to_string(role_), target.label(), reason);
  // With several hosts the reason names each; the connection's own name (its last host) would only mislead.
  if (!last || plan_.hosts.size() > 1) {
    ++epoch_;
    reading_ = writing_ = false;
    connect_timer_.cancel();
    if (socket_.is_open()) socket_.release();  // libpq owns the fd
    if (conn_) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
  }
  if (last) {
    close(Loss::kConnectFailed, attempt_errors_);
    return;
  }
  start_attempt();
}

void Connection::submit(QueryPtr query) {
  query->connection = weak_from_this();
  switch (state_) {
    case State::kReady:
      if (!send(query)) {
        close(Loss::kBroken, error_message());
        return;
      }
      pump();
      return;
    case State::kClosed:
      query->fail("connection closed");
      return;
    default:
      queued_.push_back(std::move(query));
      return;
  }
}

void Connection::close(Loss loss, const std::string& reason) {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();  // the owner drops its reference during on_lost
  const std::string full_reason = describe() + ": " + reason;
  state_ = State::kClosed;
  ++epoch_;
  reading_ = writing_ = false;
  connect_timer_.cancel();
  if (socket_.is_open()) socket_.release();  // cancels pending waits; libpq owns and closes the fd
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  prepared_.clear();

  std::vector<QueryPtr> orphans;
  orphans.reserve(in_flight_.size() + queued_.size());
  for (auto& entry : in_flight_) orphans.push_back(std::move(entry.query));
  for (auto& query : queued_) orphans.push_back(std::move(query));
  in_flight_.clear();
  queued_.clear();
  for (auto& query : orphans) query->sent = false;
  owner_.on_lost(*this, loss, full_reason, std::move(orphans));
}

// ---- connecting -------------------------------------------------------------------------------------------------

bool Connection::rebind_socket() {
  // PQconnectPoll may switch sockets (next address, SSL/GSS retry), possibly reusing the same fd number for a
  // new socket; re-registering after every step keeps the reactor's view exact. Only a few steps per connect.
  if (socket_.is_open()) socket_.release();
  ++epoch_;
  reading_ = writing_ = false;
  const int fd = PQsocket(conn_);
  if (fd < 0) return false;
  boost::system::error_code ec;
  socket_.assign(fd, ec);
  return !ec;
}

void Connection::poll_connect() {
  switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING:
      if (!rebind_socket()) break;
      wait(boost::asio::posix::stream_descriptor::wait_read);
      return;
    case PGRES_POLLING_WRITING:
      if (!rebind_socket()) break;
      wait(boost::asio::posix::stream_descriptor::wait_write);
      return;
    case PGRES_POLLING_OK:
      on_connected();
      return;
    default:
      break;
  }
  attempt_failed(error_message());
}

void Connection::on_connected() {
  // Even without target_session_attrs=read-write a primary connection must reach a server that takes writes:
  // after a failover the old primary may come back as a standby under the same name.
  if (role_ == Role::kPrimary && in_recovery(conn_)) {
    attempt_failed("the server is in recovery (a standby), not a primary");
    return;
  }
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    attempt_failed(error_message());
    return;
  }
  connect_timer_.cancel();
  ssl_ = PQsslInUse(conn_) == 1;
  state_ = State::kReady;
  auto self = shared_from_this();
  owner_.on_ready(*this);
  while (state_ == State::kReady && !queued_.empty()) {
    QueryPtr query = std::move(queued_.front());
    queued_.pop_front();
    if (query->done()) continue;  // timed out or cancelled while we were connecting
    if (!send(query)) {
      close(Loss::kBroken, error_message());
      return;
    }
  }
  pump();
}

// ---- pipeline ---------------------------------------------------------------------------------------------------

bool Connection::send(const QueryPtr& query) {
  // Queued first: if a send fails half-way the query is still found (and failed) by close().
  in_flight_.push_back(InFlight{query, InFlight::Stage::kExecute});
  InFlight& entry = in_flight_.back();
  query->sent = true;
  if (!prepared_.contains(query->name)) {
    if (PQsendPrepare(conn_, query->name.c_str(), query->sql.c_str(), 0, nullptr) != 1) return false;
    prepared_.insert(query->name);
    entry.stage = InFlight::Stage::kPrepare;
  }
  std::vector<const char*> values;
  values.reserve(query->params.size());
  for (const auto& p : query->params) values.push_back(p ? p->c_str() : nullptr);
  if (PQsendQueryPrepared(conn_, query->name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr,
                          0) != 1) {
    return false;
  }
  // One sync per query: an error aborts the pipeline only up to the next sync, i.e. only this query.
  return PQpipelineSync(conn_) == 1;
}

void Connection::wait(boost::asio::posix::stream_descriptor::wait_type type) {
  const bool readable = type == boost::asio::posix::stream_descriptor::wait_read;
  bool& pending = readable ? reading_ : writing_;
  if (pending || state_ == State::kClosed || !socket_.is_open()) return;
  pending = true;
  socket_.async_wait(type, [weak = weak_from_this(), epoch = epoch_, readable](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || self->epoch_ != epoch) return;  // the socket was re-registered or closed meanwhile
    (readable ? self->reading_ : self->writing_) = false;
    self->on_event(readable, ec);
  });
}

void Connection::on_event(bool readable, const boost::system::error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) {
    if (state_ == State::kConnecting) {
      attempt_failed("socket: " + ec.message());
    } else {
      close(Loss::kBroken, "socket: " + ec.message());
    }
    return;
  }
  if (state_ == State::kConnecting) {
    poll_connect();
    return;
  }
  // Always consume on a read event, even if FIONREAD says 0: that is how an orderly close (EOF) shows up.
  if (readable && PQconsumeInput(conn_) != 1) {
    close(Loss::kBroken, error_message());
    return;
  }
  pump();
}

void Connection::pump() {
  if (state_ != State::kReady) return;
  auto self = shared_from_this();
  if (!flush()) return;
  process_results();
  for (int round = 0; state_ == State::kReady && input_pending(round == 0); ++round) {
    if (round == kMaxReadRounds) {  // a firehose: let other handlers run, come back without waiting for an edge
      boost::asio::post(io_, [weak = weak_from_this()] {
        if (auto again = weak.lock()) again->pump();
      });
      break;
    }
    if (PQconsumeInput(conn_) != 1) {
      close(Loss::kBroken, error_message());
      return;
    }
    process_results();
  }
  if (state_ != State::kReady) return;
  if (PQstatus(conn_) == CONNECTION_BAD) {
    close(Loss::kBroken, error_message());
    return;
  }
  wait(boost::asio::posix::stream_descriptor::wait_read);  // always armed while ready: detects EOF and errors
}

bool Connection::flush() {
  for (int round = 0; round < kMaxFlushRounds; ++round) {
    const int rc = PQflush(conn_);
    if (rc < 0) {
      close(Loss::kBroken, error_message());
      return false;
    }
    if (rc == 0) return true;
    // PQflush returns 1 after at most 64 KiB even when the socket could take more; wait only when it can't.
    pollfd pfd{PQsocket(conn_), POLLOUT, 0};
    if (::poll(&pfd, 1, 0) != 1 || (pfd.revents & POLLOUT) == 0) {
      wait(boost::asio::posix::stream_descriptor::wait_write);
      return true;
    }
  }
  boost::asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->pump();
  });
  return true;
}

bool Connection::input_pending(bool first_round) const {
  int available = 0;
  if (::ioctl(PQsocket(conn_), FIONREAD, &available) == 0 && available > 0) return true;
  // With TLS, a record larger than libpq's read request leaves decrypted bytes inside OpenSSL, invisible to
  // FIONREAD; libpq asks for at least 8 KiB and records are at most 16 KiB, so one extra read drains them.
  return first_round && ssl_ && !in_flight_.empty() && PQisBusy(conn_) == 1;
}

void Connection::process_results() {
  using Stage = InFlight::Stage;
  while (state_ == State::kReady && !in_flight_.empty() && PQisBusy(conn_) == 0) {
    PGresult* raw = PQgetResult(conn_);
    InFlight& entry = in_flight_.front();
    if (raw == nullptr) {                      // end of one command's results
      if (entry.stage == Stage::kSync) break;  // the sync is not in yet
      entry.stage = entry.stage == Stage::kPrepare ? Stage::kExecute : Stage::kSync;
      continue;
    }
    std::shared_ptr<pg_result> result(raw, &PQclear);
    switch (PQresultStatus(raw)) {
      case PGRES_PIPELINE_SYNC: {
        InFlight finished = std::move(entry);
        in_flight_.pop_front();
        complete(finished);
        // The primary became read-only or is shutting down (a failover): this connection cannot write again.
        // Closing it lets the next use connect afresh, and with several hosts find the one that is primary now.
        if (finished.failed && role_ == Role::kPrimary && (server_gone(finished.sqlstate) || in_recovery(conn_))) {
          close(Loss::kServerGone, finished.error + " (SQLSTATE " + finished.sqlstate + ")");
        }
        break;
      }
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
      case PGRES_EMPTY_QUERY:
        if (entry.stage == Stage::kExecute) entry.result = std::move(result);
        break;
      case PGRES_PIPELINE_ABORTED:
        if (!entry.failed) {
          entry.failed = true;
          entry.error = "pipeline aborted";
        }
        break;
      default: {
        if (!entry.failed) {
          entry.failed = true;
          const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
          const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
          entry.error = primary ? std::string(primary) : one_line(PQresultErrorMessage(raw));
          entry.sqlstate = sqlstate ? sqlstate : "";
        }
        // Not prepared after all: the next use prepares again instead of failing with "does not exist".
        if (entry.stage == Stage::kPrepare) prepared_.erase(entry.query->name);
        break;
      }
    }
  }
}

void Connection::complete(InFlight& entry) {
  Query& query = *entry.query;
  if (!query.check) served_.inc();
  query.sent = false;
  query.deadline.cancel();
  if (query.done()) return;  // its caller gave up; the result only kept the pipeline in step
  if (entry.failed) {
    query.fail(entry.error + " (statement " + query.name + ")", entry.sqlstate);
  } else {
    query.finish(nullptr, Result(std::move(entry.result), role_));
  }
}

std::string Connection::error_message() const {
  if (conn_ == nullptr) return "out of memory allocating a connection";
  std::string message = one_line(PQerrorMessage(conn_));
  return message.empty() ? "connection failed" : message;
}

std::string Connection::describe() const {
  std::string out(to_string(role_));
  if (conn_ != nullptr) {
    const char* host = PQhost(conn_);
    const char* port = PQport(conn_);
    out += " ";
    out += host ? host : "?";
    out += ":";
    out += port ? port : "?";
  }
  return out;
}

}  // namespace mc::db::detail
