#include <charconv>
#include <cstdio>
#include <ctime>

#include "http/detail/text.hpp"
#include "http/detail/wire.hpp"

namespace mc::http::detail {
namespace {

bool is_tchar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

void append_value(std::string& out, std::string_view value) {
  // A plain loop: find_first_of with a character set costs a memchr per character.
  bool dirty = false;
  for (const char c : value) dirty |= (c == '\r') | (c == '\n') | (c == '\0');
  if (!dirty) {
    out += value;
    return;
  }
  for (const char c : value) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

bool has_close_token(std::string_view value) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), "close")) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

template <class Int>
void append_number(std::string& out, Int n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
  out.append(digits, end);
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

std::string_view http_date() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local char text[32];
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int n =
        std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                      kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    length = n > 0 ? static_cast<std::size_t>(n) : 0;
    cached_second = now;
  }
  return {text, length};
}

Head write_head(std::string& out, const Response& r, const HeadOptions& options) {
  const int status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
  out.clear();
  out += "HTTP/1.1 ";
  append_number(out, status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";

  bool close_requested = false;
  for (const auto& f : r.headers) {
    if (iequals(f.name, "Content-Length") || iequals(f.name, "Transfer-Encoding")) continue;
    if (iequals(f.name, "Connection")) {
      close_requested = close_requested || has_close_token(f.value);
      continue;
    }
    if (!valid_name(f.name)) continue;
    out += f.name;
    out += ": ";
    append_value(out, f.value);
    out += "\r\n";
  }
  out += "Date: ";
  out += http_date();
  out += "\r\n";

  const bool bodyless = status < 200 || status == 204 || status == 304;
  if (!bodyless) {
    out += "Content-Length: ";
    append_number(out, r.body.size());
    out += "\r\n";
  }
  Head head;
  head.keep_alive = options.keep_alive && !close_requested;
  if (!head.keep_alive) {
    out += "Connection: close\r\n";
  } else if (options.http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  head.send_body = !bodyless && !options.head_request && !r.body.empty();
  return head;
}

}  // namespace mc::http::detail
