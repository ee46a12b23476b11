#include "http/message.hpp"

#include <algorithm>

#include "http/detail/text.hpp"

namespace mc::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Calls f(name, value) for each "name=value" piece of `list` split on `sep`, until f returns true.
template <class F>
bool for_each_pair(std::string_view list, char sep, F&& f) {
  while (!list.empty()) {
    const auto end = list.find(sep);
    std::string_view item = list.substr(0, end);
    list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
    const auto eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (f(name, value)) return true;
  }
  return false;
}

Response with_type(int status, std::string body, std::string_view content_type) {
  Response r;
  r.status = status;
  // Room for what handlers and the middleware add, so the vector grows once.
  r.headers.reserve(12);
  r.headers.push_back({"Content-Type", std::string(content_type)});
  r.body = std::move(body);
  return r;
}

}  // namespace

namespace detail {

void append_json_escaped(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
}

}  // namespace detail

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

std::string_view Request::path() const {
  const std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  const std::string_view t = target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& f : headers) {
    if (detail::iequals(f.name, name)) return f.value;
  }
  return {};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::optional<std::string> found;
  for_each_pair(query(), '&', [&](std::string_view key, std::string_view value) {
    // Most keys are plain; decode only when they could differ from their decoded form.
    if (key.find_first_of("%+") == std::string_view::npos) {
      if (key != name) return false;
    } else {
      const auto decoded = url_decode(key, true);
      if (!decoded || *decoded != name) return false;
    }
    found = url_decode(value, true);
    return found.has_value();  // an undecodable value counts as absent; a later occurrence may do
  });
  return found;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  for (const auto& f : headers) {
    if (!detail::iequals(f.name, "Cookie")) continue;
    std::optional<std::string> found;
    for_each_pair(f.value, ';', [&](std::string_view key, std::string_view value) {
      if (detail::trim(key) != name) return false;
      value = detail::trim(value);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      found.emplace(value);
      return true;
    });
    if (found) return found;
  }
  return std::nullopt;
}

void Response::set(std::string_view name, std::string value) {
  auto it = std::find_if(headers.begin(), headers.end(), [&](const Field& f) { return detail::iequals(f.name, name); });
  if (it == headers.end()) {
    headers.push_back({std::string(name), std::move(value)});
    return;
  }
  it->value = std::move(value);
  headers.erase(std::remove_if(it + 1, headers.end(), [&](const Field& f) { return detail::iequals(f.name, name); }),
                headers.end());
}

void Response::add(std::string name, std::string value) { headers.push_back({std::move(name), std::move(value)}); }

std::string_view Response::get(std::string_view name) const {
  for (const auto& f : headers) {
    if (detail::iequals(f.name, name)) return f.value;
  }
  return {};
}

Response Response::json(int status, std::string body) { return with_type(status, std::move(body), "application/json"); }

Response Response::html(int status, std::string body) {
  return with_type(status, std::move(body), "text/html; charset=utf-8");
}

Response Response::text(int status, std::string body) {
  return with_type(status, std::move(body), "text/plain; charset=utf-8");
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  std::string body;
  body.reserve(32 + code.size() + message.size());
  body += R"({"error":{"code":")";
  detail::append_json_escaped(body, code);
  body += R"(","message":")";
  detail::append_json_escaped(body, message);
  body += R"("}})";
  return json(status, std::move(body));
}

std::optional<std::string> url_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return std::nullopt;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3);
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace mc::http
