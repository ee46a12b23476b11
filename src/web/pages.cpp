#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>

#include "catalog/json.hpp"
#include "catalog/palette.hpp"
#include "catalog/query.hpp"
#include "catalog/service.hpp"
#include "core/errors.hpp"
#include "db/database.hpp"
#include "web/common.hpp"
#include "web/format.hpp"
#include "web/i18n.hpp"
#include "web/page_context.hpp"
#include "web/page_memo.hpp"
#include "web/routes.hpp"
#include "web/shopper.hpp"
#include "web/templates.hpp"
#include "web/url.hpp"

// The server-rendered store. Each handler gathers catalog documents (cache-aside), turns them into a
// template context in the shopper's language, and renders it inside the layout.
namespace mc::web {
namespace json = boost::json;
using detail::color_name;
using detail::PageContext;
using detail::pick;
using detail::Provenance;
using detail::shared_layer;
using detail::site_title;

namespace {

constexpr int kPageSize = 24;
constexpr int kShelfSize = 8;

}  // namespace

Task<http::Response> StorePages::home(http::Request&, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories();

  catalog::ListingQuery featured;
  featured.featured_only = true;
  featured.per_page = kShelfSize;
  catalog::ListingQuery fresh;
  fresh.per_page = kShelfSize;
  auto f = co_await views_.catalog.list(featured);
  auto n = co_await views_.catalog.list(fresh);
  page.use(f);
  page.use(n);
  if (const auto* html = page.remembered()) co_return page.respond(200, *html);

  json::array categories;
  const auto& palette = catalog::palette();
  std::size_t i = 0;
  for (const auto& c : page.categories()) {
    const auto& color = palette[(i++ * 3) % palette.size()];
    categories.emplace_back(json::object{{"slug", c.slug},
                                         {"name", pick(page.lang(), c.name)},
                                         {"url", "/c/" + c.slug},
                                         {"count", format_count(c.count)},
                                         {"image_url", catalog::image_url(c.slug, 0, color.code)}});
  }
  json::object ctx{{"categories", std::move(categories)}};
  if (f.doc) ctx["featured"] = page.cards(*f.doc);
  if (n.doc) ctx["new_arrivals"] = page.cards(*n.doc);
  co_return page.render(200, "home", site_title(page.lang(), ""), ctx);
}

namespace {

json::object filters(const PageContext& page, const catalog::ListingQuery& q, std::string action_url,
                     std::string_view category) {
  // A category offers its own sizes; search spans categories, so it offers the clothing sizes.
  const auto* info = catalog::find_category(category.empty() ? std::string_view("tops") : category);
  json::array sizes;
  for (auto s : info ? info->sizes : std::span<const std::string_view>{}) {
    sizes.emplace_back(json::object{{"value", s}, {"selected", q.size && *q.size == s}});
  }
  json::array colors;
  for (const auto& c : catalog::palette()) {
    colors.emplace_back(json::object{{"code", c.code},
                                     {"name", page.lang() == Lang::kKo ? c.name_ko : c.name_en},
                                     {"hex_class", fmt::format("sw-{}", c.code)},
                                     {"selected", q.color && *q.color == c.code}});
  }
  return json::object{{"action_url", std::move(action_url)},
                      {"sizes", std::move(sizes)},
                      {"colors", std::move(colors)},
                      {"min_price", q.min_price ? std::to_string(*q.min_price) : ""},
                      {"max_price", q.max_price ? std::to_string(*q.max_price) : ""},
                      {"sorts", page.sorts(q.sort, !q.terms.empty())}};
}

}  // namespace

Task<http::Response> StorePages::category(http::Request& req, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories();
  const std::string slug = req.path_params[0];
  const auto* category = page.category(slug);
  if (!category) co_return page.not_found(std::string(tr(page.lang(), "not_found_message")));

  auto query = catalog::parse_listing_query(
      [&](std::string_view name) -> std::optional<std::string> {
        if (name == "category") return slug;
        if (name == "q") return std::nullopt;
        return page.param(name);
      },
      kPageSize);
  if (!query) co_return page.bad_request(query.error().message);
  query->name_in_korean = page.lang() == Lang::kKo;

  auto s = co_await views_.catalog.list(*query);
  page.use(s);
  if (const auto* html = page.remembered()) co_return page.respond(200, *html);
  const auto* listing = &catalog::document(s);

  const std::string name = pick(page.lang(), category->name);
  json::object ctx{{"category", json::object{{"slug", slug}, {"name", name}, {"url", "/c/" + slug}}},
                   {"products", page.cards(*listing)},
                   {"total", listing->total},
                   {"total_text", tr_n(page.lang(), "items_count", listing->total)},
                   {"empty", listing->items.empty()},
                   {"filters", filters(page, *query, "/c/" + slug, slug)},
                   {"pagination", page.pagination(*listing)}};
  co_return page.render(200, "category", site_title(page.lang(), name), ctx, slug);
}

Task<http::Response> StorePages::search(http::Request&, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories();
  auto query = catalog::parse_listing_query([&](std::string_view name) { return page.param(name); }, kPageSize);
  if (!query) co_return page.bad_request(query.error().message);
  query->name_in_korean = page.lang() == Lang::kKo;
  const std::string text = page.param("q").value_or("");

  catalog::Served<catalog::Listing> found;
  if (!query->terms.empty()) {
    found = co_await views_.catalog.list(*query);
    page.use(found);
  }
  if (const auto* html = page.remembered()) co_return page.respond(200, *html);
  json::object ctx{{"q", text}, {"action_url", "/search"}};
  const catalog::Listing none;
  const auto& listing = query->terms.empty() ? none : catalog::document(found);
  ctx["products"] = page.cards(listing);
  ctx["total"] = listing.total;
  ctx["total_text"] = tr_n(page.lang(), "items_count", listing.total);
  ctx["empty"] = listing.items.empty();
  ctx["pagination"] = page.pagination(listing);
  ctx["sorts"] = page.sorts(query->sort, true);
  ctx["filters"] = filters(page, *query, "/search", "");
  json::array suggestions;
  for (std::string_view popular : {"항공 점퍼", "flight jacket", "니트", "jeans", "스니커즈"}) {
    suggestions.emplace_back(json::object{{"label", popular}, {"url", "/search?q=" + http::url_encode(popular)}});
  }
  for (const auto& c : page.categories()) {
    suggestions.emplace_back(json::object{{"label", pick(page.lang(), c.name)}, {"url", "/c/" + c.slug}});
  }
  ctx["suggestions"] = std::move(suggestions);
  const std::string title = text.empty() ? std::string(tr(page.lang(), "search_button")) : fmt::format("\"{}\"", text);
  co_return page.render(200, "search", site_title(page.lang(), title), ctx, {}, text);
}

Task<http::Response> StorePages::product(http::Request& req, Shopper& shopper) {
  PageContext page(views_, shopper);
  co_await page.load_categories();
  auto s = co_await views_.catalog.product_by_slug(req.path_params[0]);
  page.use(s);
  if (!s.found) co_return page.not_found(std::string(tr(page.lang(), "not_found_message")));
  if (const auto* html = page.remembered()) co_return page.respond(200, *html);
  const auto& p = catalog::document(s);

  std::vector<std::string> colors;
  for (const auto& v : p.variants) {
    if (std::find(colors.begin(), colors.end(), v.color) == colors.end()) colors.push_back(v.color);
  }
  std::string selected = colors.empty() ? std::string("black") : colors.front();
  if (auto c = page.param("color"); c && std::find(colors.begin(), colors.end(), *c) != colors.end()) selected = *c;

  json::array color_items;
  for (const auto& c : colors) {
    color_items.emplace_back(json::object{{"code", c},
                                          {"name", color_name(page.lang(), c)},
                                          {"hex_class", "sw-" + c},
                                          {"url", link_with(req.path(), page.pairs(), "color", c, {"lang"})},
                                          {"selected", c == selected}});
  }
  json::array sizes;
  json::array sku_options;
  bool any_in_stock = false;
  for (const auto& v : p.variants) {
    if (v.color != selected) continue;
    any_in_stock = any_in_stock || v.stock > 0;
    sizes.emplace_back(json::object{{"size", v.size},
                                    {"sku", v.sku},
                                    {"stock_text", stock_text(page.lang(), v.stock)},
                                    {"in_stock", v.stock > 0},
                                    {"low", v.stock > 0 && v.stock <= 3}});
    if (v.stock > 0) sku_options.emplace_back(json::object{{"sku", v.sku}, {"label", v.size}});
  }
  const std::string name = pick(page.lang(), p.name);
  json::object product_ctx{
      {"id", p.id},
      {"name", name},
      {"description", pick(page.lang(), p.description)},
      {"price_text", format_krw(p.price)},
      {"category", json::object{{"name", page.category_name(p.category)}, {"url", "/c/" + p.category}}},
      {"image_url", catalog::image_url(p.category, p.id, selected, p.name.en)},
      {"colors", std::move(color_items)},
      {"selected_color_name", color_name(page.lang(), selected)},
      {"sizes", std::move(sizes)},
      {"any_in_stock", any_in_stock},
      {"sku_options", std::move(sku_options)}};
  json::object ctx{{"product", std::move(product_ctx)}};
  co_return page.render(200, "product", site_title(page.lang(), name), ctx, p.category);
}

void StorePages::add_to(http::Router& router) {
  router.add(http::Method::kGet, "/", sessions_.handler(this, &StorePages::home));
  router.add(http::Method::kGet, "/c/{category}", sessions_.handler(this, &StorePages::category));
  router.add(http::Method::kGet, "/search", sessions_.handler(this, &StorePages::search));
  router.add(http::Method::kGet, "/p/{slug}", sessions_.handler(this, &StorePages::product));
}

http::Response not_found_page(Views& views, const http::Request& req) {
  // Rendered without a database round trip: the navigation is left out rather than risking a slow 404.
  const auto lang = choose_lang(req).lang;
  json::object ctx{{"message", tr(lang, "not_found_message")}, {"home_url", "/"}};
  json::object layout{
      {"lang", code(lang)},
      {"title", site_title(lang, tr(lang, "not_found_title"))},
      {"css_url", views.css_url},
      {"query", ""},
      {"categories", json::array{}},
      {"lang_switch", json::object{{"ko_url", "/?lang=ko"},
                                   {"en_url", "/?lang=en"},
                                   {"is_ko", lang == Lang::kKo},
                                   {"is_en", lang == Lang::kEn}}},
  };
  auto html = views.templates.render_page("not_found", ctx, std::move(layout), &shared_layer(lang));
  shopper::fill_markers(html, 0, "", tr(lang, "account"));
  return http::Response::html(404, std::move(html));
}

namespace {

// A plain page of the store (no database round trip): a title, a message and the way home.
http::Response message_page(const http::Request& req, int status, std::string_view message_key) {
  const auto lang = choose_lang(req).lang;
  return http::Response::html(
      status,
      fmt::format("<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>{}</title><h1>{}</h1><p>{}</p>"
                  "<p><a href=\"{}\">{}</a></p></html>",
                  code(lang), tr(lang, "error_title"), tr(lang, "error_title"), tr(lang, message_key), "/",
                  tr(lang, "back_home")));
}

}  // namespace

http::Response bad_text_page(const http::Request& req) { return message_page(req, 400, "bad_text_message"); }

http::Response unavailable_page(const http::Request& req, std::string_view code) {
  // A write that was not confirmed is not "the catalogue cannot load": the shopper must hear that their
  // change may be missing.
  return message_page(req, 503, code == NotConfirmed::kCode ? "not_confirmed_message" : "unavailable_message");
}

}  // namespace mc::web
