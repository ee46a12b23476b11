#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/task.hpp"

namespace mc::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };
std::string_view to_string(Method m);

struct Field {
  std::string name;
  std::string value;
};

// An HTTP request as handlers see it: plain data, no Beast types, so handlers and their tests stay
// light. The server fills it from the wire.
struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path, then '?' and the query
  std::vector<Field> headers;
  std::string body;
  std::string remote_address;  // the TCP peer: behind a load balancer, the balancer
  std::string client_address;  // the shopper: from a trusted proxy's X-Forwarded-For, else the peer
  std::string request_id;
  bool secure = false;                   // reached over https (X-Forwarded-Proto from the load balancer)
  std::vector<std::string> path_params;  // the router's {name} segments, in order, percent-decoded

  std::string_view path() const;   // target up to '?', not decoded
  std::string_view query() const;  // after '?', "" if none
  // Case-insensitive; "" when absent.
  std::string_view header(std::string_view name) const;
  // Percent-decoded ('+' is a space); the first occurrence.
  std::optional<std::string> query_param(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<Field> headers;
  std::string body;

  void set(std::string_view name, std::string value);  // replaces a field of that name (case-insensitive)
  void add(std::string name, std::string value);       // appends (e.g. several Set-Cookie)
  std::string_view get(std::string_view name) const;   // "" when absent

  static Response json(int status, std::string body);
  static Response html(int status, std::string body);
  static Response text(int status, std::string body);
  // The API's error shape: {"error":{"code":"...","message":"..."}}
  static Response error(int status, std::string_view code, std::string_view message);
};

using Handler = std::function<Task<Response>(Request&)>;

// Percent-decoding of a URL component; '+' becomes a space when `plus_is_space`. nullopt on bad escapes.
std::optional<std::string> url_decode(std::string_view in, bool plus_is_space);
std::string url_encode(std::string_view in);

}  // namespace mc::http
