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
//
// Asio registers descriptors edge-triggered and async_wait is never speculative, so a wait is only armed
// after the socket has been drained (FIONREAD) and a write is attempted before waiting for writability.
// Everything runs on the one thread that runs the io_context: no locks.
#include "redis/client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "core/metrics.hpp"

namespace mc::redis {
namespace {

namespace net = boost::asio;
using Result = Expected<Reply, CommandError>;
using Handler = net::any_completion_handler<void(Result)>;

constexpr int kMaxIoRounds = 32;  // reads or writes in one go before letting other handlers run
constexpr std::size_t kMaxPending = 10'000;
constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

Reply convert(const redisReply* r) {
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
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

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

class AsioClient final : public Client, public std::enable_shared_from_this<AsioClient> {
 public:
  AsioClient(net::io_context& io, const RedisConfig& config)
      : io_(io),
        config_(config),
        socket_(io),
        reconnect_timer_(io),
        connect_timer_(io),
        rng_(std::random_device{}()),
        commands_ok_(metrics::registry().counter("myclothes_redis_commands_total", {{"result", "ok"}})),
        commands_timeout_(metrics::registry().counter("myclothes_redis_commands_total", {{"result", "timeout"}})),
        commands_down_(metrics::registry().counter("myclothes_redis_commands_total", {{"result", "disconnected"}})),
        reconnects_(metrics::registry().counter("myclothes_redis_reconnects_total")) {
    metrics::registry().describe("myclothes_redis_commands_total", "Redis commands by outcome.");
    metrics::registry().describe("myclothes_redis_reconnects_total", "Redis connection attempts after the first.");
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
      self->submit(std::move(args), std::move(handler), executor);
    };
    auto result = co_await net::async_initiate<decltype(net::use_awaitable), void(Result)>(std::move(initiate),
                                                                                           net::use_awaitable);
    if (result) {
      commands_ok_.inc();
    } else if (result.error().kind == CommandError::Kind::kTimeout) {
      commands_timeout_.inc();
    } else {
      commands_down_.inc();
    }
    co_return result;
  }

 private:
  struct Slot {  // hiredis's privdata for one command
    std::shared_ptr<Pending> pending;
    std::weak_ptr<AsioClient> client;
  };

  void submit(std::vector<std::string> args, Handler handler, net::any_io_executor executor) {
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
    pending->timer.expires_after(config_.command_timeout);
    pending->timer.async_wait([weak = weak_from_this(), pending](const boost::system::error_code& ec) {
      if (ec || pending->done()) return;
      pending->finish(Unexpected(CommandError{CommandError::Kind::kTimeout, "redis: no reply in time"}));
      if (auto self = weak.lock()) self->on_timeout();
    });
  }

  static void on_reply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
    std::unique_ptr<Slot> slot(static_cast<Slot*>(privdata));
    if (auto self = slot->client.lock()) {
      --self->in_flight_;
      if (reply != nullptr) self->last_reply_ = std::chrono::steady_clock::now();
    }
    if (reply == nullptr) {  // the connection went away with this command unanswered
      slot->pending->finish(Unexpected(CommandError{CommandError::Kind::kDisconnected, "redis: connection lost"}));
      return;
    }
    slot->pending->finish(convert(static_cast<redisReply*>(reply)));
  }

  // A server that answers nothing for two command timeouts is treated as gone: its connection is dropped
  // (failing what waits on it) and a fresh one is tried with backoff.
  void on_timeout() {
    if (ac_ == nullptr || in_flight_ == 0) return;
    if (std::chrono::steady_clock::now() - last_reply_ < 2 * config_.command_timeout) return;
    spdlog::warn("redis {}:{}: no reply for {} ms, reconnecting", config_.host, config_.port,
                 (2 * config_.command_timeout).count());
    drop();
  }

  void connect() {
    if (stopped_ || ac_ != nullptr) return;
    redisAsyncContext* ac = redisAsyncConnect(config_.host.c_str(), config_.port);
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
      spdlog::warn("redis {}:{}: connect timed out", self->config_.host, self->config_.port);
      self->drop();
    });
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<AsioClient*>(ac->data);
    if (status != REDIS_OK) {
      self->failure_reason_ = ac->errstr;  // cleanup follows and schedules the next attempt
      return;
    }
    self->connected_ = true;
    self->backoff_ = kMinBackoff;
    self->last_reply_ = std::chrono::steady_clock::now();
    self->connect_timer_.cancel();
    spdlog::info("redis {}:{}: connected", self->config_.host, self->config_.port);
    self->was_down_ = false;
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
    if (was_connected) spdlog::warn("redis {}:{}: connection lost: {}", config_.host, config_.port, failure_reason_);
    // Reconnect from a fresh handler, never from inside hiredis's own teardown.
    net::post(io_, [weak = weak_from_this(), reason = failure_reason_] {
      if (auto self = weak.lock()) self->schedule_reconnect(reason);
    });
    failure_reason_ = "closed";
  }

  void schedule_reconnect(const std::string& reason) {
    if (stopped_) return;
    if (!was_down_)
      spdlog::warn("redis {}:{}: unavailable ({}); retrying with backoff", config_.host, config_.port, reason);
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
  net::posix::stream_descriptor socket_;
  net::steady_timer reconnect_timer_;
  net::steady_timer connect_timer_;
  std::mt19937 rng_;
  redisAsyncContext* ac_ = nullptr;
  std::uint64_t epoch_ = 0;
  bool stopped_ = true;
  bool connected_ = false;
  bool was_down_ = false;  // a failure was logged; the next ones are not, until connected again
  bool want_read_ = false;
  bool want_write_ = false;
  bool reading_ = false;
  bool writing_ = false;
  std::size_t in_flight_ = 0;
  std::chrono::steady_clock::time_point last_reply_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;
  std::string failure_reason_ = "closed";
  metrics::Counter& commands_ok_;
  metrics::Counter& commands_timeout_;
  metrics::Counter& commands_down_;
  metrics::Counter& reconnects_;
};

}  // namespace

std::shared_ptr<Client> make_client(boost::asio::io_context& io, const RedisConfig& config) {
  return std::make_shared<AsioClient>(io, config);
}

}  // namespace mc::redis
