#pragma once

// hiredis's reply in the client's own form: for the two users of hiredis in this folder, the asynchronous
// client (client.cpp, which defines it) and the one-shot blocking command (blocking.cpp).

#include "redis/client.hpp"

struct redisReply;

namespace mc::redis {

Reply from_hiredis(const ::redisReply* r);

}  // namespace mc::redis
