#pragma once

// What every server-rendered page shares: the shopper's language, the catalog documents the page is made
// from (for X-Cache / X-DB and the page memo), the layout, and the per-shopper parts filled in after the
// memo (cart badge, CSRF token). Used by every route group that renders a page.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/json.hpp"  // image_url
#include "catalog/palette.hpp"
#include "catalog/query.hpp"
#include "catalog/service.hpp"
#include "db/database.hpp"
#include "web/common.hpp"
#include "web/format.hpp"
#include "web/i18n.hpp"
#include "web/page_memo.hpp"
#include "web/routes.hpp"
#include "web/shopper.hpp"
#include "web/templates.hpp"
#include "web/url.hpp"

namespace mc::web::detail {
namespace json = boost::json;

inline const std::string& pick(Lang lang, const catalog::Localized& l) { return lang == Lang::kKo ? l.ko : l.en; }

inline json::object strings(Lang lang) {
  json::object t;
  for (auto key : string_keys()) t[key] = tr(lang, key);
  return t;
}

// {"t": every translated string}: the layer below every page's own data, built once per language and
// never copied into a page's context.
// Also the stand-ins for the per-shopper parts (shopper.hpp), filled in for each response.
inline const json::object& shared_layer(Lang lang) {
  auto layer = [](Lang l) {
    return json::object{{"t", strings(l)},
                        {"cart_count", shopper::kCartCountMarker},
                        {"csrf", shopper::kCsrfMarker},
                        {"account_label", shopper::kAccountMarker}};
  };
  static const json::object ko = layer(Lang::kKo);
  static const json::object en = layer(Lang::kEn);
  return lang == Lang::kKo ? ko : en;
}

inline std::string color_name(Lang lang, std::string_view code) {
  if (const auto* c = catalog::find_color(code)) return std::string(lang == Lang::kKo ? c->name_ko : c->name_en);
  return std::string(code);
}

inline json::array color_swatches(Lang lang, const std::vector<std::string>& codes) {
  json::array out;
  for (const auto& c : codes) {
    out.emplace_back(json::object{{"code", c}, {"name", color_name(lang, c)}, {"hex_class", "sw-" + c}});
  }
  return out;
}

class PageContext {
 public:
  PageContext(Views& views, Shopper& shopper)
      : views_(views), shopper_(shopper), req_(shopper.request()), pairs_(query_pairs(req_.query())) {}

  Lang lang() const { return shopper_.lang(); }
  const QueryPairs& pairs() const { return pairs_; }
  Provenance& provenance() { return provenance_; }

  // What a page needs of the shopper's session: only the cart badge (a catalog page renders without it when
  // the session store cannot answer), or the session itself (the cart, account and order pages: an outage
  // is the store's 503 page, never an empty cart or a request to log in).
  enum class Needs { kBadge, kSession };

  // The categories, for the navigation of every page (cached like any catalog read).
  // Every page calls this first; it also finds the shopper's session.
  Task<void> load_categories(Needs needs = Needs::kBadge) {
    if (needs == Needs::kSession) co_await shopper_.session();  // an outage goes to the middleware
    co_await load_shopper();
    auto s = co_await views_.catalog.categories();
    use(s);
    if (s.doc) categories_ = std::move(s.doc);
  }

  // The session (if the shopper has one) and its cart's size. A session store that cannot answer costs
  // the badge, not the page.
  Task<void> load_shopper() {
    try {
      session_ = co_await shopper_.session();
      cart_count_ = co_await shopper_.cart_units();
    } catch (const Unavailable& e) {
      spdlog::warn("{}: session store unavailable: {}", req_.target, e.what());
    }
  }
  // The shopper's session after load_categories (null: none, or the session store did not answer).
  const session::Session* session() const { return session_; }
  bool signed_in() const { return session_ != nullptr && session_->user_id != 0; }
  bool session_expired() const { return shopper_.session_expired(); }
  const http::Request& request() const { return req_; }

  // Every catalog document a page is made from passes through here: for X-Cache / X-DB, and as the
  // identity of the page in the memo.
  template <class T>
  void use(const catalog::Served<T>& s) {
    provenance_.add(s);
    sources_.push_back(s.body);
  }

  // The page as rendered before from the same documents, for the same address and language.
  const std::string* remembered() {
    memo_key_ = fmt::format("{}|{}", code(lang()), req_.target);
    std::vector<std::string_view> views(sources_.begin(), sources_.end());
    return views_.memo.find(memo_key_, views);
  }
  const std::vector<catalog::Category>& categories() const {
    static const std::vector<catalog::Category> none;
    return categories_ ? *categories_ : none;
  }
  const catalog::Category* category(std::string_view slug) const {
    const auto& all = categories();
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& c) { return c.slug == slug; });
    return it == all.end() ? nullptr : &*it;
  }
  std::string category_name(std::string_view slug) const {
    const auto* c = category(slug);
    return c ? pick(lang(), c->name) : std::string(slug);
  }

  json::object card(const catalog::ProductSummary& s) const {
    const std::string first = s.colors.empty() ? std::string("black") : s.colors.front();
    return json::object{{"id", s.id},
                        {"url", "/p/" + s.slug},
                        {"name", pick(lang(), s.name)},
                        {"price_text", format_krw(s.price)},
                        {"image_url", catalog::image_url(s.category, s.id, first, s.name.en)},
                        {"colors", color_swatches(lang(), s.colors)},
                        {"category_name", category_name(s.category)},
                        {"sold_out", !s.in_stock}};
  }

  json::array cards(const catalog::Listing& l) const {
    json::array out;
    for (const auto& s : l.items) out.emplace_back(card(s));
    return out;
  }

  json::object pagination(const catalog::Listing& l) const {
    const std::int64_t pages = std::max<std::int64_t>(1, (l.total + l.per_page - 1) / l.per_page);
    const auto path = req_.path();
    return json::object{
        {"show", pages > 1},
        {"has_prev", l.page > 1},
        {"prev_url", link_with(path, pairs_, "page", l.page > 2 ? std::to_string(l.page - 1) : "", {"lang"})},
        {"has_next", l.page < pages},
        {"next_url", link_with(path, pairs_, "page", std::to_string(l.page + 1), {"lang"})},
        {"page", l.page},
        {"pages", pages}};
  }

  json::array sorts(catalog::Sort current, bool with_relevance) const {
    json::array out;
    auto add = [&](catalog::Sort s, std::string_view key) {
      out.emplace_back(
          json::object{{"value", catalog::to_string(s)}, {"label", tr(lang(), key)}, {"selected", s == current}});
    };
    if (with_relevance) add(catalog::Sort::kRelevance, "sort_relevance");
    add(catalog::Sort::kNew, "sort_new");
    add(catalog::Sort::kPriceAsc, "sort_price_asc");
    add(catalog::Sort::kPriceDesc, "sort_price_desc");
    add(catalog::Sort::kName, "sort_name");
    return out;
  }

  http::Response render(int status, std::string_view page, std::string title, const json::object& context,
                        std::string_view active_category = {}, std::string_view search_text = {}) {
    json::array nav;
    for (const auto& c : categories()) {
      nav.emplace_back(json::object{{"slug", c.slug},
                                    {"name", pick(lang(), c.name)},
                                    {"url", "/c/" + c.slug},
                                    {"active", c.slug == active_category}});
    }
    const auto path = req_.path();
    json::object layout{
        {"lang", code(lang())},
        {"title", std::move(title)},
        {"css_url", views_.css_url},
        {"query", std::string(search_text)},
        {"categories", std::move(nav)},
        {"lang_switch", json::object{{"ko_url", link_with(path, pairs_, "lang", "ko")},
                                     {"en_url", link_with(path, pairs_, "lang", "en")},
                                     {"is_ko", lang() == Lang::kKo},
                                     {"is_en", lang() == Lang::kEn}}},
    };
    std::string html = views_.templates.render_page(page, context, std::move(layout), &shared_layer(lang()));
    if (status == 200 && !memo_key_.empty()) views_.memo.remember(memo_key_, sources_, html);
    return respond(status, std::move(html));
  }

  http::Response respond(int status, std::string html) {
    shopper::fill_markers(html, cart_count_, shopper_.csrf_token(), tr(lang(), signed_in() ? "account" : "login"));
    auto r = http::Response::html(status, std::move(html));
    r.set("Vary", "Accept-Language, Cookie");
    provenance_.apply(r);
    return r;
  }

  http::Response not_found(std::string message) {
    json::object ctx{{"message", std::move(message)}, {"home_url", "/"}};
    return render(404, "not_found", std::string(tr(lang(), "not_found_title")), ctx);
  }

  http::Response bad_request(const std::string& message) {
    json::object ctx{{"message", message}};
    return render(400, "error", std::string(tr(lang(), "error_title")), ctx);
  }

  std::optional<std::string> param(std::string_view name) const {
    for (const auto& [k, v] : pairs_) {
      if (k == name) return v;
    }
    return std::nullopt;
  }

 private:
  Views& views_;
  Shopper& shopper_;
  const http::Request& req_;
  QueryPairs pairs_;
  Provenance provenance_;
  std::shared_ptr<const std::vector<catalog::Category>> categories_;  // the catalog's document, shared
  std::vector<std::string> sources_;
  std::string memo_key_;
  const session::Session* session_ = nullptr;
  int cart_count_ = 0;
};

inline std::string site_title(Lang lang, std::string_view page) {
  return page.empty() ? std::string(tr(lang, "site_name")) : fmt::format("{} · {}", page, tr(lang, "site_name"));
}

}  // namespace mc::web::detail
