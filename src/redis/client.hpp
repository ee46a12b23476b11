#pragma once

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

// One hiredis async connection on one I/O thread's io_context. Reconnects by itself with backoff.
// Not thread-safe: create one per I/O thread.
class Client {
 public:
  virtual ~Client() = default;

  // Connects (and from then on reconnects) in the background; returns at once.
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool connected() const = 0;

  // Sends one command (binary-safe arguments); completes with the reply or an error within the command timeout.
  virtual Task<Expected<Reply, CommandError>> command(std::vector<std::string> args) = 0;
};

std::shared_ptr<Client> make_client(boost::asio::io_context& io, const RedisConfig& config);

}  // namespace mc::redis
