// hiredis's asynchronous API on an Asio io_context.
//
// hiredis 0.14 brings no Asio adapter and no timeouts, so this file supplies both:
//  - the adapter: hiredis asks for read/write interest through ev.addRead/delRead/addWrite/delWrite and
//    tells us to let go of the socket through ev.cleanup. The socket is wrapped in a stream_descriptor
//    that is release()d (never closed: hiredis owns the fd) in cleanup.
//  - a deadline per command: the awaiting coroutine resumes with kTimeout when it passes; the reply, if
//    it comes later, is dropped. A server that stops answering altogether is disconnected.
//  - reconnection with capped, jittered exponential backoff; while disconnected, commands fail at once
//    (kDisconnected), so callers fall back to the database instead of queueing behind a dead cache.
//  - Sentinel discovery (when sentinels are configured): before each connection attempt the sentinels are
//    asked, one after the other, on a plain Asio socket with its own deadline (hiredis's synchronous API
//    would block the I/O thread); the address given must then answer ROLE with "master" before the
//    connection counts as up. A sentinel that answered is asked first next time.
//
// Asio registers descriptors edge-triggered and async_wait is never speculative, so a wait is only armed
// after the socket has been drained (FIONREAD) and a write is attempted before waiting for writability.
// Everything runs on the one thread that runs the io_context: no locks.
#include "redis/client.hpp"
#include "redis/hiredis_reply.hpp"

#include <fmt/format.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <array>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <random>
#include <string_view>

#include "core/metrics.hpp"

namespace mc::redis {

Reply from_hiredis(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(from_hiredis(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

namespace {

namespace net = boost::asio;
using Result = Expected<Reply, CommandError>;
using Handler = net::any_completion_handler<void(Result)>;
using AckResult = Expected<Acknowledged, CommandError>;
using AckHandler = net::any_completion_handler<void(AckResult)>;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr int kMaxIoRounds = 32;  // reads or writes in one go before letting other handlers run
constexpr std::size_t kMaxPending = 10'000;
constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::size_t kMaxSentinelReply = 4096;  // an address is a few dozen bytes

// Error replies that say this server is no longer the primary to write to: a demoted primary (READONLY)
// or one cut off from its replicas under min-replicas-to-write (NOREPLICAS).
bool not_the_primary(std::string_view error) {
  return error.starts_with("READONLY") || error.starts_with("NOREPLICAS");
}

struct ReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

// One command from submission until its coroutine resumes: by the reply, the deadline or a disconnect,
// whichever comes first; the others then find it finished.
struct Pending {
  Pending(net::io_context& io, Handler h, net::any_io_executor ex)
      : handler(std::move(h)), executor(std::move(ex)), timer(io) {}

  bool done() const { return !handler; }

  void finish(Result result) {
    if (!handler) return;
    timer.cancel();
    Handler h = std::move(handler);
    handler = nullptr;
    net::post(executor, [h = std::move(h), result = std::move(result)]() mutable { std::move(h)(std::move(result)); });
  }

  Handler handler;
  net::any_io_executor executor;
  net::steady_timer timer;
};

// A command and the WAIT behind it: the caller resumes once both have finished (in either order, though
// replies come in order), with the command's outcome and WAIT's count.
struct AckPair {
  explicit AckPair(AckHandler h) : handler(std::move(h)) {}

  void done() {
    if (!command || !wait) return;
    if (!*command) return std::move(handler)(Unexpected(command->error()));
    Acknowledged out;
    out.reply = std::move(command->value());
    if (!*wait) {
      out.wait_error = wait->error().message;
    } else if ((*wait)->type == Reply::Type::kInteger) {
      out.replicas = (*wait)->integer;
    } else {
      out.wait_error = (*wait)->type == Reply::Type::kError ? (*wait)->str : "redis: WAIT gave no count";
    }
    std::move(handler)(std::move(out));
  }

  AckHandler handler;
  std::optional<Result> command;
  std::optional<Result> wait;
};

class AsioClient final : public Client, public std::enable_shared_from_this<AsioClient> {
 public:
  AsioClient(net::io_context& io, const RedisConfig& config)
      : io_(io),
        config_(config),
        sentinels_(config.sentinels),
        target_{config.host, config.port},
        socket_(io),
        reconnect_timer_(io),
        connect_timer_(io),
        resolver_(io),
        probe_(io),
        probe_timer_(io),
        rng_(std::random_device{}()),
        commands_ok_(metrics::registry().counter("myclothes_redis_commands_total", {{"result", "ok"}})),
        commands_timeout_(metrics::registry().counter("myclothes_redis_commands_total", {{"result", "timeout"}})),
        commands_down_(metrics::registry().counter("myclothes_redis_commands_total", {{"result", "disconnected"}})),
        reconnects_(metrics::registry().counter("myclothes_redis_reconnects_total")),
        primary_changes_(metrics::registry().counter("myclothes_redis_primary_changes_total")) {
    metrics::registry().describe("myclothes_redis_commands_total", "Redis commands by outcome.");
    metrics::registry().describe("myclothes_redis_reconnects_total", "Redis connection attempts after the first.");
    metrics::registry().describe("myclothes_redis_primary_changes_total",
                                 "Times a Redis client (one per I/O thread) found the primary at a new address "
                                 "(Sentinel mode: after a failover).");
  }

  ~AsioClient() override { teardown(); }

  void start() override {
    stopped_ = false;
    connect();
  }

  void stop() override {
    stopped_ = true;
    reconnect_timer_.cancel();
    connect_timer_.cancel();
    cancel_probe();
    teardown();
  }

  bool connected() const override { return connected_; }

  Task<Result> command(std::vector<std::string> args) override {
    if (!connected_ || ac_ == nullptr) {
      commands_down_.inc();
      co_return Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: not connected"});
    }
    if (in_flight_ >= kMaxPending) {
      commands_down_.inc();
      co_return Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: too many commands waiting"});
    }
    // Named, not a temporary in the co_await: GCC 12 destroys such captured temporaries twice.
    net::any_io_executor executor = co_await net::this_coro::executor;
    auto initiate = [self = shared_from_this(), executor, args = std::move(args)](Handler handler) mutable {
      self->submit(args, std::move(handler), executor, self->config_.command_timeout);
    };
    auto result = co_await net::async_initiate<decltype(net::use_awaitable), void(Result)>(std::move(initiate),
                                                                                           net::use_awaitable);
    count(result);
    co_return result;
  }

  // myclothes_redis_commands_total by outcome.
  template <class R>
  void count(const R& result) {
    if (result) {
      commands_ok_.inc();
    } else if (result.error().kind == CommandError::Kind::kTimeout) {
      commands_timeout_.inc();
    } else {
      commands_down_.inc();
    }
  }

  Task<AckResult> command_and_wait(std::vector<std::string> args, int replicas,
                                   std::chrono::milliseconds timeout) override {
    if (!connected_ || ac_ == nullptr || in_flight_ + 1 >= kMaxPending) {
      commands_down_.inc();
      co_return Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: not connected"});
    }
    std::vector<std::string> wait_args{"WAIT", std::to_string(replicas), std::to_string(timeout.count())};
    net::any_io_executor executor = co_await net::this_coro::executor;  // named: see command()
    auto initiate = [self = shared_from_this(), executor, args = std::move(args), wait_args = std::move(wait_args),
                     timeout](AckHandler handler) mutable {
      auto pair = std::make_shared<AckPair>(std::move(handler));
      // Both in one handler: they land in hiredis's output buffer of one connection, in this order.
      self->submit(
          args,
          [pair](Result r) {
            pair->command = std::move(r);
            pair->done();
          },
          executor, self->config_.command_timeout);
      self->submit(
          wait_args,
          [pair](Result r) {
            pair->wait = std::move(r);
            pair->done();
          },
          executor, timeout + self->config_.command_timeout);
    };
    auto result = co_await net::async_initiate<decltype(net::use_awaitable), void(AckResult)>(std::move(initiate),
                                                                                              net::use_awaitable);
    count(result);
    co_return result;
  }

 private:
  struct Slot {  // hiredis's privdata for one command
    std::shared_ptr<Pending> pending;
    std::weak_ptr<AsioClient> client;
  };

  void submit(const std::vector<std::string>& args, Handler handler, net::any_io_executor executor,
              std::chrono::milliseconds deadline) {
    auto pending = std::make_shared<Pending>(io_, std::move(handler), std::move(executor));
    if (ac_ == nullptr || !connected_) {
      pending->finish(Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: not connected"}));
      return;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> argvlen;
    argv.reserve(args.size());
    argvlen.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      argvlen.push_back(a.size());
    }
    auto* slot = new Slot{pending, weak_from_this()};
    if (redisAsyncCommandArgv(ac_, &AsioClient::on_reply, slot, static_cast<int>(argv.size()), argv.data(),
                              argvlen.data()) != REDIS_OK) {
      delete slot;
      pending->finish(Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: command not sent"}));
      return;
    }
    ++in_flight_;
    if (deadline > config_.command_timeout) {
      // A command that waits on the server by design (WAIT): silence until it ends is no sign of a hung server.
      quiet_until_ = std::max(quiet_until_, std::chrono::steady_clock::now() + deadline - config_.command_timeout);
    }
    pending->timer.expires_after(deadline);
    pending->timer.async_wait([weak = weak_from_this(), pending](const boost::system::error_code& ec) {
      if (ec || pending->done()) return;
      pending->finish(Unexpected(CommandError{CommandError::Kind::kTimeout, "redis: no reply in time"}));
      if (auto self = weak.lock()) self->on_timeout();
    });
  }

  static void on_reply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
    std::unique_ptr<Slot> slot(static_cast<Slot*>(privdata));
    if (reply == nullptr) {  // the connection went away with this command unanswered
      if (auto self = slot->client.lock()) --self->in_flight_;
      slot->pending->finish(Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: connection lost"}));
      return;
    }
    Reply converted = from_hiredis(static_cast<redisReply*>(reply));
    if (auto self = slot->client.lock()) {
      --self->in_flight_;
      self->last_reply_ = std::chrono::steady_clock::now();
      if (converted.type == Reply::Type::kError && self->sentinel_mode() && not_the_primary(converted.str)) {
        self->leave_demoted_primary(converted.str);  // the command still fails to its caller, below
      }
    }
    slot->pending->finish(std::move(converted));
  }

  // A server that answers nothing for two command timeouts is treated as gone: its connection is dropped
  // (failing what waits on it) and a fresh one is tried with backoff.
  void on_timeout() {
    if (ac_ == nullptr || in_flight_ == 0) return;
    const auto quiet_since = std::max(last_reply_, quiet_until_);
    if (std::chrono::steady_clock::now() - quiet_since < 2 * config_.command_timeout) return;
    spdlog::warn("redis {}: no reply for {} ms, reconnecting", to_string(target_),
                 (2 * config_.command_timeout).count());
    drop();
  }

  bool sentinel_mode() const { return !sentinels_.empty(); }

  // The server says it is not the primary any more: this connection is given up (from a fresh handler, never
  // inside hiredis's read), and the next one asks the sentinels where the primary is now.
  void leave_demoted_primary(const std::string& error) {
    if (leaving_epoch_ == epoch_) return;  // once per connection, however many replies say so
    leaving_epoch_ = epoch_;
    const auto word = error.substr(0, error.find(' '));
    spdlog::warn("redis {}: answered {}: no longer the primary of {}; asking the sentinels again", to_string(target_),
                 word, config_.master_name);
    failure_reason_ = word + " from the old primary";
    net::post(io_, [weak = weak_from_this(), epoch = epoch_] {
      if (auto self = weak.lock(); self && self->epoch_ == epoch) self->drop();
    });
  }

  void connect() {
    if (stopped_ || ac_ != nullptr || resolving_) return;
    if (!sentinel_mode()) {
      connect_to(Endpoint{config_.host, config_.port});
      return;
    }
    resolving_ = true;
    // The completion handler lives as long as the coroutine and keeps the client alive for it; stop() cuts
    // the coroutine short.
    net::co_spawn(io_, discover(), [self = shared_from_this()](const std::exception_ptr& e) {
      if (!e) return;
      self->resolving_ = false;  // only something like bad_alloc gets here; try again later
      self->schedule_reconnect("sentinel discovery failed");
    });
  }

  // Asks the sentinels in turn for the primary's address and connects to the first answer; with none, tries
  // again after the backoff.
  Task<void> discover() {
    std::string reasons;
    for (std::size_t i = 0; i < sentinels_.size() && !stopped_; ++i) {
      const Endpoint sentinel = sentinels_[i];
      auto answer = co_await ask_sentinel(sentinel);
      if (stopped_) break;
      if (answer) {
        // Redis's advice to Sentinel clients: the one that answered goes first next time.
        std::rotate(sentinels_.begin(), sentinels_.begin() + static_cast<std::ptrdiff_t>(i),
                    sentinels_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        answered_by_ = sentinel;
        resolving_ = false;
        connect_to(*answer);
        co_return;
      }
      reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", to_string(sentinel), answer.error());
    }
    resolving_ = false;
    if (!stopped_)
      schedule_reconnect(fmt::format("no sentinel named the primary of {} ({})", config_.master_name, reasons));
  }

  // One SENTINEL get-master-addr-by-name on a socket of our own; resolving, connecting, asking and reading
  // share one deadline (the command timeout), after which the socket is closed under the waiting operation.
  Task<Expected<Endpoint, std::string>> ask_sentinel(const Endpoint& sentinel) {
    const auto generation = ++probe_generation_;  // a deadline that fires late must not close the next probe
    probe_timer_.expires_after(config_.command_timeout);
    probe_timer_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec && self->probe_generation_ == generation) self->close_probe();
    });
    auto answer = co_await query_sentinel(sentinel);
    const bool late = probe_timer_.expiry() <= std::chrono::steady_clock::now();
    probe_timer_.cancel();
    close_probe();
    if (!answer && late) co_return Unexpected(std::string("no answer in time"));
    co_return answer;
  }

  Task<Expected<Endpoint, std::string>> query_sentinel(const Endpoint& sentinel) {
    const std::string port = std::to_string(sentinel.port);
    auto [resolve_ec, addresses] = co_await resolver_.async_resolve(sentinel.host, port, kTuple);
    if (resolve_ec) co_return Unexpected(resolve_ec.message());
    auto [connect_ec, connected] = co_await net::async_connect(probe_, addresses, kTuple);
    if (connect_ec) co_return Unexpected(connect_ec.message());
    (void)connected;

    const std::array<std::string_view, 3> args{"SENTINEL", "get-master-addr-by-name", config_.master_name};
    std::array<const char*, 3> argv{};
    std::array<std::size_t, 3> argvlen{};
    for (std::size_t i = 0; i < args.size(); ++i) {
      argv[i] = args[i].data();
      argvlen[i] = args[i].size();
    }
    char* formatted = nullptr;
    const int length = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), argvlen.data());
    if (length < 0) co_return Unexpected(std::string("out of memory"));
    std::string request(formatted, static_cast<std::size_t>(length));
    redisFreeCommand(formatted);
    auto [write_ec, written] = co_await net::async_write(probe_, net::buffer(request), kTuple);
    if (write_ec) co_return Unexpected(write_ec.message());
    (void)written;

    std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
    if (!reader) co_return Unexpected(std::string("out of memory"));
    std::array<char, 512> buffer{};
    std::size_t total = 0;
    void* parsed = nullptr;
    while (parsed == nullptr) {
      auto [read_ec, n] = co_await probe_.async_read_some(net::buffer(buffer), kTuple);
      if (read_ec) co_return Unexpected(read_ec.message());
      total += n;
      if (total > kMaxSentinelReply || redisReaderFeed(reader.get(), buffer.data(), n) != REDIS_OK ||
          redisReaderGetReply(reader.get(), &parsed) != REDIS_OK) {
        co_return Unexpected(std::string("not a Redis reply"));
      }
    }
    std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(parsed));
    const Reply r = from_hiredis(reply.get());
    if (r.type == Reply::Type::kNil)
      co_return Unexpected(fmt::format("knows no primary named {}", config_.master_name));
    if (r.type == Reply::Type::kError) co_return Unexpected(r.str);
    if (r.type != Reply::Type::kArray || r.elements.size() != 2) co_return Unexpected(std::string("unexpected reply"));
    auto primary = parse_endpoint(r.elements[0].str + ":" + r.elements[1].str);
    if (!primary) co_return Unexpected("not an address: " + r.elements[0].str + " " + r.elements[1].str);
    co_return *primary;
  }

  void close_probe() {
    resolver_.cancel();
    boost::system::error_code ignored;
    probe_.close(ignored);
  }

  void cancel_probe() {
    probe_timer_.cancel();
    close_probe();
  }

  void connect_to(const Endpoint& target) {
    if (stopped_ || ac_ != nullptr) return;
    target_ = target;
    redisAsyncContext* ac = redisAsyncConnect(target_.host.c_str(), target_.port);
    if (ac == nullptr) {
      schedule_reconnect("out of memory");
      return;
    }
    if (ac->err != 0) {
      std::string reason = ac->errstr;
      redisAsyncFree(ac);
      schedule_reconnect(reason);
      return;
    }
    ac_ = ac;
    ++epoch_;
    boost::system::error_code ec;
    socket_.assign(ac->c.fd, ec);
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = [](void* p) { static_cast<AsioClient*>(p)->add_read(); };
    ac->ev.delRead = [](void* p) { static_cast<AsioClient*>(p)->want_read_ = false; };
    ac->ev.addWrite = [](void* p) { static_cast<AsioClient*>(p)->add_write(); };
    ac->ev.delWrite = [](void* p) { static_cast<AsioClient*>(p)->want_write_ = false; };
    ac->ev.cleanup = [](void* p) { static_cast<AsioClient*>(p)->on_cleanup(); };
    if (ec) {
      spdlog::warn("redis: cannot watch socket: {}", ec.message());
      drop();
      return;
    }
    redisAsyncSetDisconnectCallback(ac, &AsioClient::on_disconnect);
    // hiredis learns that a non-blocking connect finished from the first write event; setting the connect
    // callback asks for it (addWrite).
    redisAsyncSetConnectCallback(ac, &AsioClient::on_connect);
    add_write();
    // Loopback refuses at once; a silent host must not hold the connection open for ever.
    connect_timer_.expires_after(
        std::max<std::chrono::milliseconds>(config_.command_timeout * 2, std::chrono::seconds(1)));
    connect_timer_.async_wait([weak = weak_from_this(), epoch = epoch_](const boost::system::error_code& e) {
      auto self = weak.lock();
      if (e || !self || self->epoch_ != epoch || self->connected_) return;
      spdlog::warn("redis {}: connect timed out", to_string(self->target_));
      self->drop();
    });
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<AsioClient*>(ac->data);
    if (status != REDIS_OK) {
      self->failure_reason_ = ac->errstr;  // cleanup follows and schedules the next attempt
      return;
    }
    // A sentinel's answer may be stale (a failover in progress, an old primary back as a replica): only a
    // server that says it is the master gets commands. The connect timer still runs until then.
    if (self->sentinel_mode()) {
      if (redisAsyncCommand(self->ac_, &AsioClient::on_role, nullptr, "ROLE") != REDIS_OK) {
        self->refuse("ROLE not sent");
      }
      return;
    }
    self->ready();
  }

  static void on_role(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
    if (reply == nullptr) return;  // the connection is going away; its cleanup tries again
    auto* self = static_cast<AsioClient*>(ac->data);
    const Reply role = from_hiredis(static_cast<redisReply*>(reply));
    if (role.type == Reply::Type::kArray && !role.elements.empty() && role.elements[0].str == "master") {
      self->ready();
      return;
    }
    self->refuse(role.type == Reply::Type::kError                             ? "ROLE: " + role.str
                 : role.type == Reply::Type::kArray && !role.elements.empty() ? "its role is " + role.elements[0].str
                                                                              : std::string("no role"));
  }

  // The server is not the primary: give the connection up (from a fresh handler) and ask again after the backoff.
  void refuse(const std::string& why) {
    failure_reason_ = fmt::format("not the primary of {}: {}", config_.master_name, why);
    // The sentinel that named it is behind (or wrong): the others are asked first next time.
    if (auto it = std::find(sentinels_.begin(), sentinels_.end(), answered_by_); it != sentinels_.end()) {
      std::rotate(it, it + 1, sentinels_.end());
      failure_reason_ += fmt::format(" (named by sentinel {})", to_string(answered_by_));
    }
    net::post(io_, [weak = weak_from_this(), epoch = epoch_] {
      if (auto self = weak.lock(); self && self->epoch_ == epoch) self->drop();
    });
  }

  void ready() {
    connected_ = true;
    backoff_ = kMinBackoff;
    last_reply_ = std::chrono::steady_clock::now();
    connect_timer_.cancel();
    if (sentinel_mode()) {
      if (primary_ && *primary_ != target_) {
        spdlog::warn("redis: the primary of {} moved from {} to {}", config_.master_name, to_string(*primary_),
                     to_string(target_));
        primary_changes_.inc();
      } else if (!primary_) {
        spdlog::info("redis: the primary of {} is {}", config_.master_name, to_string(target_));
      }
      primary_ = target_;
    }
    spdlog::info("redis {}: connected", to_string(target_));
    was_down_ = false;
  }

  static void on_disconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<AsioClient*>(ac->data);
    if (status != REDIS_OK && ac->errstr != nullptr) self->failure_reason_ = ac->errstr;
  }

  void on_cleanup() {
    ++epoch_;  // outstanding waits on the old socket are stale
    if (socket_.is_open()) socket_.release();
    want_read_ = want_write_ = false;
    reading_ = writing_ = false;
    ac_ = nullptr;
    const bool was_connected = connected_;
    connected_ = false;
    in_flight_ = 0;
    if (stopped_) return;
    if (was_connected) spdlog::warn("redis {}: connection lost: {}", to_string(target_), failure_reason_);
    // Reconnect from a fresh handler, never from inside hiredis's own teardown.
    net::post(io_, [weak = weak_from_this(), reason = failure_reason_] {
      if (auto self = weak.lock()) self->schedule_reconnect(reason);
    });
    failure_reason_ = "closed";
  }

  void schedule_reconnect(const std::string& reason) {
    if (stopped_) return;
    if (!was_down_) spdlog::warn("redis {}: unavailable ({}); retrying with backoff", to_string(target_), reason);
    was_down_ = true;
    std::uniform_real_distribution<double> spread(0.5, 1.0);
    const auto delay =
        std::chrono::milliseconds(static_cast<long>(static_cast<double>(backoff_.count()) * spread(rng_)));
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        self->reconnects_.inc();
        self->connect();
      }
    });
  }

  // Frees the context: every waiting command fails with kDisconnected, cleanup schedules a reconnect.
  void drop() {
    if (ac_ == nullptr) return;
    redisAsyncContext* ac = ac_;
    redisAsyncFree(ac);  // never called from inside a hiredis callback (only from timers and start/stop)
  }

  void teardown() {
    stopped_ = true;
    drop();
  }

  void add_read() {
    want_read_ = true;
    arm_read();
  }

  void arm_read() {
    if (reading_ || !want_read_ || ac_ == nullptr) return;
    reading_ = true;
    socket_.async_wait(net::posix::stream_descriptor::wait_read,
                       [weak = weak_from_this(), epoch = epoch_](const boost::system::error_code& ec) {
                         auto self = weak.lock();
                         if (!self || self->epoch_ != epoch) return;
                         self->reading_ = false;
                         if (ec) return self->drop();
                         self->on_readable();
                       });
  }

  void on_readable() {
    for (int round = 0; round < kMaxIoRounds; ++round) {
      if (ac_ == nullptr) return;
      const auto epoch = epoch_;
      redisAsyncHandleRead(ac_);  // may free the context (EOF): cleanup bumps the epoch
      if (epoch_ != epoch || ac_ == nullptr) return;
      int available = 0;
      if (::ioctl(ac_->c.fd, FIONREAD, &available) != 0 || available <= 0) {
        arm_read();
        return;
      }
    }
    net::post(io_, [weak = weak_from_this(), epoch = epoch_] {
      if (auto self = weak.lock(); self && self->epoch_ == epoch) self->on_readable();
    });
  }

  // hiredis buffered output: write now if the socket takes it, else wait for writability. Deferred to a
  // fresh handler, so that a burst of commands from one handler goes out in one write.
  void add_write() {
    if (want_write_) return;
    want_write_ = true;
    write_later();
  }

  void write_later() {
    net::post(io_, [weak = weak_from_this(), epoch = epoch_] {
      if (auto self = weak.lock(); self && self->epoch_ == epoch) self->on_writable();
    });
  }

  void on_writable() {
    for (int round = 0; round < kMaxIoRounds; ++round) {
      if (ac_ == nullptr || !want_write_) return;
      pollfd pfd{ac_->c.fd, POLLOUT, 0};
      if (::poll(&pfd, 1, 0) != 1 || (pfd.revents & (POLLOUT | POLLERR | POLLHUP)) == 0) {
        arm_write();
        return;
      }
      const auto epoch = epoch_;
      redisAsyncHandleWrite(ac_);  // may complete a connect, fail it and free the context, or write
      if (epoch_ != epoch || ac_ == nullptr) return;
    }
    if (want_write_) write_later();
  }

  void arm_write() {
    if (writing_ || ac_ == nullptr) return;
    writing_ = true;
    socket_.async_wait(net::posix::stream_descriptor::wait_write,
                       [weak = weak_from_this(), epoch = epoch_](const boost::system::error_code& ec) {
                         auto self = weak.lock();
                         if (!self || self->epoch_ != epoch) return;
                         self->writing_ = false;
                         if (ec) return self->drop();
                         self->on_writable();
                       });
  }

  net::io_context& io_;
  RedisConfig config_;
  std::vector<Endpoint> sentinels_;  // the one that answered last, first
  Endpoint target_;                  // the server connected (or being connected) to
  std::optional<Endpoint> primary_;  // Sentinel mode: the last server confirmed as the primary
  Endpoint answered_by_;             // Sentinel mode: the sentinel that named target_
  net::posix::stream_descriptor socket_;
  net::steady_timer reconnect_timer_;
  net::steady_timer connect_timer_;
  tcp::resolver resolver_;  // the sentinel probe's: one question at a time
  tcp::socket probe_;
  net::steady_timer probe_timer_;
  std::mt19937 rng_;
  redisAsyncContext* ac_ = nullptr;
  std::uint64_t epoch_ = 0;
  std::uint64_t leaving_epoch_ = 0;
  std::uint64_t probe_generation_ = 0;  // the connection being given up for a READONLY/NOREPLICAS
  bool resolving_ = false;
  bool stopped_ = true;
  bool connected_ = false;
  bool was_down_ = false;  // a failure was logged; the next ones are not, until connected again
  bool want_read_ = false;
  bool want_write_ = false;
  bool reading_ = false;
  bool writing_ = false;
  std::size_t in_flight_ = 0;
  std::chrono::steady_clock::time_point last_reply_{};
  std::chrono::steady_clock::time_point quiet_until_{};  // until then a WAIT may hold every reply back
  std::chrono::milliseconds backoff_ = kMinBackoff;
  std::string failure_reason_ = "closed";
  metrics::Counter& commands_ok_;
  metrics::Counter& commands_timeout_;
  metrics::Counter& commands_down_;
  metrics::Counter& reconnects_;
  metrics::Counter& primary_changes_;
};

}  // namespace

std::shared_ptr<Client> make_client(boost::asio::io_context& io, const RedisConfig& config) {
  return std::make_shared<AsioClient>(io, config);
}

}  // namespace mc::redis
