#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "catalog/service.hpp"
#include "http/message.hpp"
#include "web/i18n.hpp"

namespace mc::web {

// The page language: ?lang= (remembered in a cookie), else the `lang` cookie, else Accept-Language.
struct LangChoice {
  Lang lang;
  bool remember;  // hand the cookie out with this response
};
LangChoice choose_lang(const http::Request& req);

}  // namespace mc::web

// Pieces shared by the page and API handlers of src/web.
namespace mc::web::detail {

// X-Cache / X-DB for a response built from one or more catalog reads: a hit only if every read hit;
// the database named if any read used one.
class Provenance {
 public:
  template <class T>
  void add(const catalog::Served<T>& s) {
    hit_ = hit_ && s.hit;
    if (db_ == "none") db_ = s.db;
  }
  void apply(http::Response& r) const {
    r.set("X-Cache", hit_ ? "hit" : "miss");
    r.set("X-DB", db_);
  }

 private:
  bool hit_ = true;
  std::string db_ = "none";
};

std::optional<std::int64_t> parse_id(std::string_view text);

}  // namespace mc::web::detail
