#include "redis/blocking.hpp"

#include <hiredis/hiredis.h>

#include <memory>

#include "redis/hiredis_reply.hpp"

namespace mc::redis {

Expected<Reply, std::string> blocking_command(const std::string& host, int port, const std::vector<std::string>& args,
                                              std::chrono::milliseconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnectWithTimeout(host.c_str(), port, tv), redisFree);
  if (!c) return Unexpected(std::string("out of memory"));
  if (c->err != 0) return Unexpected(std::string(c->errstr));
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) return Unexpected(std::string("cannot set the socket timeout"));
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
      static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())),
      freeReplyObject);
  if (!reply) return Unexpected(std::string(c->err != 0 ? c->errstr : "no reply"));
  return from_hiredis(reply.get());
}

}  // namespace mc::redis
