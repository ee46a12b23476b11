#pragma once

// Writing an HTTP/1.1 response head. No Beast here: the server writes the head it builds with this and the
// body in one gather write, which is cheaper than copying both into Beast's message and serializer.

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace mc::http::detail {

struct HeadOptions {
  bool head_request = false;  // HEAD: Content-Length of the body, but no body
  bool keep_alive = true;     // what the request and the server's state allow
  bool http10 = false;        // an HTTP/1.0 client needs "Connection: keep-alive" to keep the connection
};

struct Head {
  bool send_body = false;
  bool keep_alive = false;  // false also when the handler asked for "Connection: close"
};

// Replaces `out` with the status line and fields of `r`, then Date, Content-Length (except for 1xx, 204 and
// 304) and Connection. The handler's own Content-Length, Transfer-Encoding and Connection fields are not
// copied; fields with an invalid name are dropped and CR, LF and NUL in values become spaces, so no handler
// can split a response.
Head write_head(std::string& out, const Response& r, const HeadOptions& options);

std::string_view reason_phrase(int status);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted once a second per thread.
std::string_view http_date();

}  // namespace mc::http::detail
