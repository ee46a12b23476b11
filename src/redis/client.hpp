#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/expected.hpp"
#include "core/task.hpp"

namespace boost::asio {
class io_context;
}

namespace mc::redis {

struct Reply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<Reply> elements;  // kArray
};

// Why a command got no reply: the server is not connected, or it did not answer in time.
struct CommandError {
  enum class Kind { kDisconnected, kTimeout };
  Kind kind;
  std::string message;
};

// A command's reply and what WAIT, sent right behind it, said about it.
struct Acknowledged {
  Reply reply;              // the command's own reply (which may be an error reply)
  long long replicas = -1;  // replicas that acknowledged it; -1: WAIT got no answer (see wait_error)
  std::string wait_error;   // why WAIT got no answer: its error reply, its deadline, a lost connection
};

// One hiredis async connection on one I/O thread's io_context. Reconnects by itself with backoff.
// Not thread-safe: create one per I/O thread.
//
// Direct mode (config.sentinels empty): the one server at config.host:config.port. Sentinel mode: on every
// (re)connect the sentinels are asked in turn for the primary of config.master_name, the address they give
// is connected to and must answer ROLE with "master" before any command is sent; a reply -READONLY or
// -NOREPLICAS (a primary demoted, or cut off from its replicas) drops the connection, so the next one asks
// the sentinels again.
class Client {
 public:
  virtual ~Client() = default;

  // Connects (and from then on reconnects) in the background; returns at once.
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool connected() const = 0;

  // Sends one command (binary-safe arguments); completes with the reply or an error within the command timeout.
  virtual Task<Expected<Reply, CommandError>> command(std::vector<std::string> args) = 0;

  // Sends `args` and, in the same write on the same connection, `WAIT replicas timeout`. WAIT counts the
  // replicas that have every earlier write of its own connection, so the two must never be split by a
  // reconnect (a WAIT on a fresh connection to a new primary would confirm a write it never saw). Fails
  // only when the command itself got no reply; what WAIT said is in the result.
  //
  // WAIT blocks the connection on the server until it ends, and this client is the I/O thread's one
  // connection: the thread's other commands queue behind it for up to `timeout` (keep it below the
  // command timeout). Its own deadline here is `timeout` plus the command timeout.
  virtual Task<Expected<Acknowledged, CommandError>> command_and_wait(std::vector<std::string> args, int replicas,
                                                                      std::chrono::milliseconds timeout) = 0;
};

std::shared_ptr<Client> make_client(boost::asio::io_context& io, const RedisConfig& config);

}  // namespace mc::redis
