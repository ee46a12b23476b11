#include "web/common.hpp"

#include <charconv>

namespace mc::web {

LangChoice choose_lang(const http::Request& req) {
  if (auto l = req.query_param("lang"); l && (*l == "ko" || *l == "en")) return {parse_lang(*l), true};
  if (auto c = req.cookie("lang"); c && (*c == "ko" || *c == "en")) return {parse_lang(*c), false};
  return {parse_lang(lang_from_accept_language(req.header("Accept-Language"))), false};
}

}  // namespace mc::web

namespace mc::web::detail {

std::optional<std::int64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace mc::web::detail
