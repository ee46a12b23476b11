// Renders every page template with the store's template engine (web/templates.hpp) and a sample context in both
// languages, so a syntax error, an unclosed element, an inline style or script, or a missing piece of the data contract
// fails here rather than in a browser.
//
// Set MYCLOTHES_TEMPLATE_PREVIEW_DIR=/some/dir to also write the sample pages there as static files (with
// the stylesheet and the product pictures beside them) to look at in a browser.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "catalog/palette.hpp"
#include "unit/web/markup.hpp"
#include "web/format.hpp"
#include "web/i18n.hpp"
#include "web/svg.hpp"
#include "web/templates.hpp"

namespace mc::web {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

fs::path template_dir() {
#ifdef MYCLOTHES_SOURCE_DIR
  if (fs::path p = fs::path(MYCLOTHES_SOURCE_DIR) / "web" / "templates"; fs::is_directory(p)) return p;
#endif
  auto dir = fs::current_path();
  for (int up = 0; up < 12; ++up, dir = dir.parent_path()) {
    if (fs::is_directory(dir / "web" / "templates")) return dir / "web" / "templates";
    if (dir == dir.parent_path()) break;
  }
  return {};
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The real templates, loaded the way the server loads them, plus their sources for the checks below.
class Renderer {
 public:
  explicit Renderer(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".mustache") continue;
      sources_.emplace(entry.path().stem().string(), read(entry.path()));
    }
    auto loaded = web::Templates::load(dir.string());
    if (!loaded) throw std::runtime_error(loaded.error());
    templates_ = *loaded;
  }
  const std::map<std::string, std::string>& sources() const { return sources_; }

  std::string render(const std::string& name, const json::object& context) { return templates_->render(name, context); }
  std::string render_page(const std::string& page, const json::object& context, json::object layout) {
    return templates_->render_page(page, context, std::move(layout));
  }

 private:
  std::map<std::string, std::string> sources_;
  std::shared_ptr<web::Templates> templates_;
};

// ---- sample data, shaped like the handlers' contexts ----

struct SampleProduct {
  std::int64_t id;
  std::string_view category;
  std::string_view name_ko;
  std::string_view name_en;
  std::int64_t price;
  std::vector<std::string_view> colors;
  bool sold_out = false;
};

const std::vector<SampleProduct>& sample_products() {
  static const std::vector<SampleProduct> products{
      {3, "outerwear", "MA-1 항공 점퍼", "MA-1 Flight Jacket", 129000, {"khaki", "black", "navy"}},
      {1, "outerwear", "오버핏 울 블렌드 코트", "Oversized Wool-Blend Coat", 239000, {"camel", "charcoal"}},
      {4, "outerwear", "라이트 블루종", "Light Blouson", 89000, {"beige", "olive"}},
      {8, "outerwear", "패딩 항공 점퍼", "Padded Flight Jacket", 159000, {"black"}, true},
      {5, "outerwear", "데님 트러커 재킷", "Denim Trucker Jacket", 99000, {"denim"}},
      {6, "outerwear", "후드 윈드브레이커 <경량>", "Hooded Windbreaker <light>", 69000, {"skyblue", "navy"}},
      {7, "outerwear", "코듀로이 셔츠 재킷", "Corduroy Shirt Jacket", 79000, {"brown", "ivory"}},
      {11, "outerwear", "숏 항공 점퍼", "Cropped Flight Jacket", 119000, {"burgundy", "black", "grey"}},
      {21, "tops", "오가닉 코튼 반팔 티셔츠", "Organic Cotton T-Shirt", 19900, {"white", "black", "grey", "pink"}},
      {22, "bottoms", "와이드 치노 팬츠", "Wide Chino Trousers", 49000, {"beige", "navy"}},
      {23, "dresses", "플리츠 미디 원피스", "Pleated Midi Dress", 89000, {"burgundy", "black"}},
      {24, "shoes", "캔버스 로우 스니커즈", "Canvas Low Sneakers", 59000, {"white", "red"}},
      {25, "bags", "코튼 캔버스 토트백", "Cotton Canvas Tote", 35000, {"ivory", "navy"}},
      {26, "accessories", "6패널 볼캡", "Six-Panel Ball Cap", 25000, {"navy", "beige", "black"}},
      {27, "tops", "루즈핏 스웨트셔츠", "Loose-Fit Sweatshirt", 45000, {"grey", "mint"}},
      {28, "bottoms", "스트레이트 데님 팬츠", "Straight Denim Jeans", 69000, {"denim"}},
  };
  return products;
}

std::string pick(Lang lang, std::string_view ko, std::string_view en) {
  return std::string(lang == Lang::kKo ? ko : en);
}

std::string color_name(Lang lang, std::string_view code) {
  const auto* c = catalog::find_color(code);
  return c ? pick(lang, c->name_ko, c->name_en) : std::string(code);
}

std::string image_url(std::string_view category, std::int64_t id, std::string_view color) {
  return "/img/" + std::string(category) + "/" + std::to_string(id) + "-" + std::string(color) + ".svg";
}

std::string category_name(Lang lang, std::string_view slug) {
  const auto* c = catalog::find_category(slug);
  return c ? pick(lang, c->name_ko, c->name_en) : std::string(slug);
}

json::object strings(Lang lang) {
  json::object t;
  for (auto key : string_keys()) t[key] = tr(lang, key);
  return t;
}

json::object card(Lang lang, const SampleProduct& p) {
  json::array colors;
  for (auto c : p.colors) {
    colors.emplace_back(
        json::object{{"code", c}, {"name", color_name(lang, c)}, {"hex_class", "sw-" + std::string(c)}});
  }
  return json::object{{"id", p.id},
                      {"url", "/p/sample-" + std::to_string(p.id)},
                      {"name", pick(lang, p.name_ko, p.name_en)},
                      {"price_text", format_krw(p.price)},
                      {"image_url", image_url(p.category, p.id, p.colors.front())},
                      {"colors", std::move(colors)},
                      {"category_name", category_name(lang, p.category)},
                      {"sold_out", p.sold_out}};
}

json::array cards(Lang lang, std::string_view only_category = {}) {
  json::array out;
  for (const auto& p : sample_products()) {
    if (only_category.empty() || p.category == only_category) out.emplace_back(card(lang, p));
  }
  return out;
}

json::object layout(Lang lang, std::string title, std::string_view active = {}, std::string_view query = {}) {
  json::array nav;
  for (const auto& c : catalog::categories()) {
    nav.emplace_back(json::object{{"slug", c.slug},
                                  {"name", pick(lang, c.name_ko, c.name_en)},
                                  {"url", "/c/" + std::string(c.slug)},
                                  {"active", c.slug == active}});
  }
  return json::object{
      {"lang", code(lang)},
      {"title", std::move(title)},
      {"css_url", "/static/app.css?v=abc123"},
      {"cart_count", 0},
      {"query", query},
      {"categories", std::move(nav)},
      {"lang_switch",
       json::object{
           {"ko_url", "?lang=ko"}, {"en_url", "?lang=en"}, {"is_ko", lang == Lang::kKo}, {"is_en", lang == Lang::kEn}}},
      {"t", strings(lang)}};
}

json::array sorts(Lang lang, std::string_view current, bool relevance) {
  json::array out;
  std::vector<std::pair<std::string_view, std::string_view>> all{
      {"new", "sort_new"}, {"price_asc", "sort_price_asc"}, {"price_desc", "sort_price_desc"}, {"name", "sort_name"}};
  if (relevance) all.insert(all.begin(), {"relevance", "sort_relevance"});
  for (auto [value, key] : all) {
    out.emplace_back(json::object{{"value", value}, {"label", tr(lang, key)}, {"selected", value == current}});
  }
  return out;
}

json::object filters(Lang lang, std::string action_url, bool relevance) {
  json::array sizes;
  for (auto s : catalog::find_category("outerwear")->sizes) {
    sizes.emplace_back(json::object{{"value", s}, {"selected", s == "M"}});
  }
  json::array colors;
  for (const auto& c : catalog::palette()) {
    colors.emplace_back(json::object{{"code", c.code},
                                     {"name", pick(lang, c.name_ko, c.name_en)},
                                     {"hex_class", "sw-" + std::string(c.code)},
                                     {"selected", c.code == "khaki"}});
  }
  return json::object{{"action_url", std::move(action_url)},
                      {"sizes", std::move(sizes)},
                      {"colors", std::move(colors)},
                      {"min_price", "50000"},
                      {"max_price", ""},
                      {"sorts", sorts(lang, relevance ? "relevance" : "price_asc", relevance)}};
}

json::object pagination(bool has_prev, bool has_next) {
  return json::object{{"show", has_prev || has_next},
                      {"has_prev", has_prev},
                      {"prev_url", "/c/outerwear?page=1"},
                      {"has_next", has_next},
                      {"next_url", "/c/outerwear?page=3"},
                      {"page", 2},
                      {"pages", 42}};
}

json::object home_context(Lang lang) {
  json::array categories;
  const auto palette = catalog::palette();
  std::size_t i = 0;
  for (const auto& c : catalog::categories()) {
    categories.emplace_back(json::object{{"slug", c.slug},
                                         {"name", pick(lang, c.name_ko, c.name_en)},
                                         {"url", "/c/" + std::string(c.slug)},
                                         {"count", format_count(1000 + 137 * static_cast<int>(i))},
                                         {"image_url", image_url(c.slug, 0, palette[(i * 3) % palette.size()].code)}});
    ++i;
  }
  json::array featured;
  json::array fresh;
  for (const auto& p : sample_products()) (p.category == "outerwear" ? fresh : featured).emplace_back(card(lang, p));
  return json::object{
      {"t", strings(lang)}, {"categories", std::move(categories)}, {"featured", featured}, {"new_arrivals", fresh}};
}

json::object category_context(Lang lang, bool empty) {
  return json::object{
      {"t", strings(lang)},
      {"category",
       json::object{{"slug", "outerwear"}, {"name", category_name(lang, "outerwear")}, {"url", "/c/outerwear"}}},
      {"products", empty ? json::array{} : cards(lang, "outerwear")},
      {"total", empty ? 0 : 1234},
      {"total_text", tr_n(lang, "items_count", empty ? 0 : 1234)},
      {"empty", empty},
      {"filters", filters(lang, "/c/outerwear", false)},
      {"pagination", pagination(!empty, !empty)}};
}

json::object search_context(Lang lang, std::string q, bool empty, bool with_filters) {
  json::array suggestions;
  for (std::string_view popular : {"항공 점퍼", "flight jacket", "니트"}) {
    suggestions.emplace_back(json::object{{"label", popular}, {"url", "/search?q=x"}});
  }
  for (const auto& c : catalog::categories()) {
    suggestions.emplace_back(
        json::object{{"label", pick(lang, c.name_ko, c.name_en)}, {"url", "/c/" + std::string(c.slug)}});
  }
  json::array products;
  if (!empty) {
    for (const auto& p : sample_products()) {
      if (p.name_en.find("Flight") != std::string_view::npos) products.emplace_back(card(lang, p));
    }
  }
  json::object ctx{{"t", strings(lang)},
                   {"q", std::move(q)},
                   {"products", std::move(products)},
                   {"total", empty ? 0 : 3},
                   {"total_text", tr_n(lang, "items_count", empty ? 0 : 3)},
                   {"empty", empty},
                   {"pagination", pagination(false, false)},
                   {"suggestions", std::move(suggestions)},
                   {"sorts", sorts(lang, "relevance", true)},
                   {"action_url", "/search"}};
  if (with_filters) ctx["filters"] = filters(lang, "/search", true);
  return ctx;
}

json::object product_context(Lang lang) {
  const auto& p = sample_products().front();
  json::array colors;
  for (auto c : p.colors) {
    colors.emplace_back(json::object{{"code", c},
                                     {"name", color_name(lang, c)},
                                     {"hex_class", "sw-" + std::string(c)},
                                     {"url", "/p/sample-3?color=" + std::string(c)},
                                     {"selected", c == "khaki"}});
  }
  json::array sizes;
  json::array sku_options;
  const std::vector<std::pair<std::string_view, int>> stock{{"XS", 0}, {"S", 2},  {"M", 12},
                                                            {"L", 1},  {"XL", 0}, {"XXL", 30}};
  for (auto [size, n] : stock) {
    const std::string sku = "P3-KHAKI-" + std::string(size);
    sizes.emplace_back(json::object{{"size", size},
                                    {"sku", sku},
                                    {"stock_text", stock_text(lang, n)},
                                    {"in_stock", n > 0},
                                    {"low", n > 0 && n <= kLowStock}});
    if (n > 0) sku_options.emplace_back(json::object{{"sku", sku}, {"label", size}});
  }
  json::object product{
      {"id", p.id},
      {"name", pick(lang, p.name_ko, p.name_en)},
      {"description",
       pick(lang,
            "미 공군의 MA-1을 현대적으로 재해석한 항공 점퍼입니다. 가벼운 나일론 겉감과 따뜻한 충전재, "
            "리브 칼라와 소매, 왼쪽 소매의 유틸리티 포켓.",
            "A modern take on the US Air Force MA-1: light nylon shell, warm padding, ribbed collar and cuffs, "
            "and a utility pocket on the left sleeve.")},
      {"price_text", format_krw(p.price)},
      {"category", json::object{{"name", category_name(lang, p.category)}, {"url", "/c/outerwear"}}},
      {"image_url", image_url(p.category, p.id, "khaki")},
      {"colors", std::move(colors)},
      {"selected_color_name", color_name(lang, "khaki")},
      {"sizes", std::move(sizes)},
      {"any_in_stock", true},
      {"sku_options", std::move(sku_options)}};
  return json::object{{"t", strings(lang)}, {"product", std::move(product)}};
}

// ---- checks every rendered page must pass ----

void expect_clean_page(const std::string& html, Lang lang) {
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  EXPECT_NE(html.find("<html lang=\"" + std::string(code(lang)) + "\">"), std::string::npos);
  EXPECT_NE(html.find("href=\"/static/app.css?v=abc123\""), std::string::npos);
  EXPECT_EQ(test::markup_problem(html, true), "");
  EXPECT_EQ(html.find("{{"), std::string::npos) << "an unrendered tag";
  EXPECT_EQ(html.find("}}"), std::string::npos) << "an unrendered tag";
  // The CSP allows neither inline styles nor inline scripts.
  const std::string low = test::lower(html);
  EXPECT_EQ(low.find("style="), std::string::npos) << "inline style attribute";
  EXPECT_EQ(low.find("<style"), std::string::npos) << "inline <style> element";
  EXPECT_EQ(low.find("javascript:"), std::string::npos);
  EXPECT_FALSE(std::regex_search(low, std::regex(R"(\son[a-z]+\s*=)"))) << "inline event handler";
  for (std::size_t at = low.find("<script"); at != std::string::npos; at = low.find("<script", at + 1)) {
    const auto end = low.find('>', at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_NE(low.substr(at, end - at).find(" src=\"/static/"), std::string::npos) << "inline <script>";
    EXPECT_EQ(low.substr(end + 1, 9), "</script>") << "a script with a body";
  }
  // The layout: search box, language switch, cart badge, category navigation.
  EXPECT_NE(html.find("name=\"q\""), std::string::npos);
  EXPECT_NE(html.find("href=\"?lang=ko\""), std::string::npos);
  EXPECT_NE(html.find("href=\"?lang=en\""), std::string::npos);
  EXPECT_NE(html.find("class=\"cart-badge\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/c/outerwear\""), std::string::npos);
  EXPECT_NE(html.find(std::string(tr(lang, "search_placeholder"))), std::string::npos);
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

class Templates : public ::testing::TestWithParam<Lang> {
 protected:
  void SetUp() override {
    dir_ = template_dir();
    ASSERT_FALSE(dir_.empty()) << "web/templates not found from " << fs::current_path();
    renderer_ = std::make_unique<Renderer>(dir_);
  }
  Lang lang() const { return GetParam(); }
  std::string t(std::string_view key) const { return std::string(tr(lang(), key)); }

  fs::path dir_;
  std::unique_ptr<Renderer> renderer_;
};

TEST_P(Templates, AllExistAndCompile) {
  for (std::string name : {"layout",  "home",      "product_card",   "category",    "search", "product", "not_found",
                           "error",   "pager",     "filter_form",    "sort_select", "cart",   "login",   "register",
                           "account", "addresses", "address_fields", "checkout",    "orders", "order"}) {
    ASSERT_TRUE(renderer_->sources().contains(name)) << name;
  }
  auto loaded = web::Templates::load(dir_.string());
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error());
}

TEST_P(Templates, Home) {
  const auto html = renderer_->render_page("home", home_context(lang()), layout(lang(), "MyClothes"));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find(t("featured")), std::string::npos);
  EXPECT_NE(html.find(t("new_arrivals")), std::string::npos);
  EXPECT_NE(html.find("href=\"/c/shoes\""), std::string::npos);
  EXPECT_NE(html.find("src=\"/img/shoes/0-"), std::string::npos) << "category tile image";
  EXPECT_NE(html.find("href=\"/p/sample-21\""), std::string::npos);
  EXPECT_NE(html.find("₩19,900"), std::string::npos);
  EXPECT_NE(html.find("class=\"swatch sw-pink\""), std::string::npos);
}

TEST_P(Templates, Category) {
  const auto html =
      renderer_->render_page("category", category_context(lang(), false), layout(lang(), "outerwear", "outerwear"));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find("<h1>" + category_name(lang(), "outerwear") + "</h1>"), std::string::npos);
  EXPECT_NE(html.find(tr_n(lang(), "items_count", 1234)), std::string::npos);
  EXPECT_NE(html.find("class=\"is-active\" aria-current=\"page\">" + category_name(lang(), "outerwear")),
            std::string::npos)
      << "the active category in the navigation";
  // Eight cards, each with its price, a named link and a picture.
  EXPECT_EQ(count(html, "<article class=\"card"), 8u);
  EXPECT_NE(html.find("₩129,000"), std::string::npos);
  EXPECT_NE(html.find(">" + pick(lang(), "MA-1 항공 점퍼", "MA-1 Flight Jacket") + "</a>"), std::string::npos);
  EXPECT_NE(html.find("src=\"/img/outerwear/3-khaki.svg\""), std::string::npos);
  EXPECT_EQ(count(html, "card is-sold-out"), 1u);
  // The filters are a GET form: sizes and colours as radios, the selected ones checked, the sort in the form.
  EXPECT_NE(html.find("<form id=\"filter-form\" class=\"filter-form\" method=\"get\" action=\"/c/outerwear\">"),
            std::string::npos);
  EXPECT_NE(html.find("name=\"size\" value=\"M\" checked"), std::string::npos);
  EXPECT_NE(html.find("name=\"size\" value=\"XL\">"), std::string::npos);
  EXPECT_NE(html.find("name=\"color\" value=\"khaki\" checked"), std::string::npos);
  EXPECT_NE(html.find("name=\"min_price\" value=\"50000\""), std::string::npos);
  EXPECT_NE(html.find("<select id=\"sort-select\" name=\"sort\" form=\"filter-form\""), std::string::npos);
  EXPECT_NE(html.find("<option value=\"price_asc\" selected>" + t("sort_price_asc") + "</option>"), std::string::npos);
  EXPECT_EQ(html.find("name=\"q\" value=\"\">"), std::string::npos) << "no search text on a category page";
  // Pagination by links.
  EXPECT_NE(html.find("href=\"/c/outerwear?page=1\" rel=\"prev\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/c/outerwear?page=3\" rel=\"next\""), std::string::npos);
  EXPECT_NE(html.find("<strong>2</strong> / 42"), std::string::npos);
}

TEST_P(Templates, CategoryEmpty) {
  const auto html =
      renderer_->render_page("category", category_context(lang(), true), layout(lang(), "outerwear", "outerwear"));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find(t("no_products")), std::string::npos);
  EXPECT_EQ(html.find("<article"), std::string::npos);
  EXPECT_EQ(html.find("class=\"pagination\""), std::string::npos);
}

TEST_P(Templates, SearchWithResults) {
  for (bool with_filters : {false, true}) {
    const auto html = renderer_->render_page("search", search_context(lang(), "항공 점퍼", false, with_filters),
                                             layout(lang(), "search", {}, "항공 점퍼"));
    expect_clean_page(html, lang());
    EXPECT_NE(html.find("“항공 점퍼”"), std::string::npos);
    EXPECT_NE(html.find("name=\"q\" value=\"항공 점퍼\""), std::string::npos);
    EXPECT_EQ(count(html, "<article class=\"card"), 3u);
    EXPECT_EQ(html.find(t("no_results_title")), std::string::npos);
    EXPECT_NE(html.find("<option value=\"relevance\" selected>"), std::string::npos);
    // The sort select always has a form to belong to, and that form keeps the search text.
    EXPECT_EQ(count(html, "id=\"filter-form\""), 1u);
    EXPECT_NE(html.find("<input type=\"hidden\" name=\"q\" value=\"항공 점퍼\">"), std::string::npos);
    EXPECT_EQ(html.find("class=\"filter-panel\"") != std::string::npos, with_filters);
  }
}

TEST_P(Templates, SearchWithoutResultsHelps) {
  const std::string q = "zqxjvk <wqzy>";
  const auto html =
      renderer_->render_page("search", search_context(lang(), q, true, true), layout(lang(), "search", {}, q));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find(t("no_results_title")), std::string::npos);
  EXPECT_NE(html.find(t("no_results_help")), std::string::npos);
  EXPECT_NE(html.find(t("try_these")), std::string::npos);
  EXPECT_NE(html.find("zqxjvk &lt;wqzy&gt;"), std::string::npos) << "the search text, escaped";
  EXPECT_EQ(html.find("<wqzy>"), std::string::npos);
  EXPECT_NE(html.find("class=\"chip\" href=\"/c/bags\""), std::string::npos);
  EXPECT_NE(html.find(">flight jacket</a>"), std::string::npos);
  EXPECT_EQ(html.find("<article"), std::string::npos);
}

TEST_P(Templates, Product) {
  const auto html = renderer_->render_page("product", product_context(lang()), layout(lang(), "product", "outerwear"));
  expect_clean_page(html, lang());
  const std::string name = pick(lang(), "MA-1 항공 점퍼", "MA-1 Flight Jacket");
  EXPECT_NE(html.find("<h1 class=\"product-name\">" + name + "</h1>"), std::string::npos);
  EXPECT_NE(html.find("₩129,000"), std::string::npos);
  EXPECT_NE(html.find("src=\"/img/outerwear/3-khaki.svg\""), std::string::npos);
  // Colours are links, each naming its code; the selected one marked.
  for (std::string_view c : {"khaki", "black", "navy"}) {
    EXPECT_NE(html.find("href=\"/p/sample-3?color=" + std::string(c) + "\""), std::string::npos) << c;
    EXPECT_NE(html.find("data-color=\"" + std::string(c) + "\""), std::string::npos) << c;
  }
  EXPECT_EQ(count(html, "is-selected"), 1u);
  EXPECT_NE(html.find(color_name(lang(), "khaki")), std::string::npos);
  // Sizes: a radio group posting sku (and the form token) to /cart/items; sold-out sizes disabled, low
  // stock told.
  EXPECT_NE(html.find("<form class=\"buy-form\" method=\"post\" action=\"/cart/items\" data-cart-add>"),
            std::string::npos);
  EXPECT_NE(html.find("<input type=\"hidden\" name=\"csrf\" value=\""), std::string::npos);
  EXPECT_EQ(count(html, "type=\"radio\" name=\"sku\""), 6u);
  EXPECT_NE(html.find("data-size=\"XS\"><input type=\"radio\" name=\"sku\" value=\"P3-KHAKI-XS\" disabled>"),
            std::string::npos);
  EXPECT_EQ(count(html, "size-choice is-sold-out"), 2u);
  EXPECT_EQ(count(html, " is-low\""), 2u);
  EXPECT_NE(html.find(stock_text(lang(), 2)), std::string::npos);
  EXPECT_NE(html.find(stock_text(lang(), 0)), std::string::npos);
  EXPECT_NE(html.find("<span class=\"size-name\">XXL</span>"), std::string::npos);
  // Something is in stock: the button is enabled.
  EXPECT_NE(html.find("btn-block\">" + t("add_to_cart") + "</button>"), std::string::npos);
  EXPECT_NE(html.find(t("description")), std::string::npos);
}

TEST_P(Templates, ProductSoldOut) {
  auto ctx = product_context(lang());
  auto& product = ctx["product"].as_object();
  product["any_in_stock"] = false;
  const auto html = renderer_->render_page("product", ctx, layout(lang(), "product"));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find("disabled>" + t("sold_out") + "</button>"), std::string::npos);
}

TEST_P(Templates, CartWithLinesAndEmpty) {
  json::array items;
  items.emplace_back(json::object{{"sku", "P3-KHAKI-M"},
                                  {"url", "/p/sample-3"},
                                  {"image_url", image_url("outerwear", 3, "khaki")},
                                  {"name", pick(lang(), "MA-1 항공 점퍼", "MA-1 Flight Jacket")},
                                  {"color_name", color_name(lang(), "khaki")},
                                  {"size", "M"},
                                  {"qty", 2},
                                  {"available", false},
                                  {"stock_text", stock_text(lang(), 1)},
                                  {"unit_price_text", format_krw(129000)},
                                  {"line_total_text", format_krw(258000)},
                                  {"update_url", "/cart/items/P3-KHAKI-M"}});
  json::object ctx{{"items", std::move(items)},
                   {"empty", false},
                   {"count", 2},
                   {"count_text", tr_n(lang(), "items_in_cart", 2)},
                   {"total_text", format_krw(258000)},
                   {"csrf", "token"},
                   {"t", strings(lang())}};
  auto html = renderer_->render_page("cart", ctx, layout(lang(), t("cart_title")));
  expect_clean_page(html, lang());
  EXPECT_EQ(count(html, "action=\"/cart/items/P3-KHAKI-M\""), 2u) << "update and remove";
  EXPECT_EQ(count(html, "name=\"csrf\" value=\"token\""), 2u);
  EXPECT_NE(html.find(t("line_unavailable")), std::string::npos);
  EXPECT_NE(html.find(format_krw(258000)), std::string::npos);
  json::object empty{{"items", json::array{}}, {"empty", true}, {"count", 0}, {"t", strings(lang())}};
  html = renderer_->render_page("cart", empty, layout(lang(), t("cart_title")));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find(t("cart_empty")), std::string::npos);
}

TEST_P(Templates, NotFoundAndError) {
  auto nf = json::object{{"t", strings(lang())}, {"message", t("not_found_message")}, {"home_url", "/"}};
  auto html = renderer_->render_page("not_found", nf, layout(lang(), t("not_found_title")));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find(t("not_found_title")), std::string::npos);
  EXPECT_NE(html.find(t("not_found_message")), std::string::npos);
  EXPECT_NE(html.find("href=\"/\">" + t("back_home")), std::string::npos);

  auto err = json::object{{"t", strings(lang())}, {"message", "min_price is greater than max_price"}};
  html = renderer_->render_page("error", err, layout(lang(), t("error_title")));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find(t("error_title")), std::string::npos);
  EXPECT_NE(html.find("min_price is greater than max_price"), std::string::npos);
}

TEST_P(Templates, TextIsEscaped) {
  auto ctx = category_context(lang(), false);
  const auto html = renderer_->render_page("category", ctx, layout(lang(), "<script>alert(1)</script>"));
  expect_clean_page(html, lang());
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find(pick(lang(), "후드 윈드브레이커 &lt;경량&gt;", "Hooded Windbreaker &lt;light&gt;")),
            std::string::npos);
}

TEST_P(Templates, ALayoutWithoutCategoriesStillRenders) {
  auto l = layout(lang(), "404");
  l["categories"] = json::array{};
  auto nf = json::object{{"t", strings(lang())}, {"message", "x"}, {"home_url", "/"}};
  const auto html = renderer_->render_page("not_found", nf, l);
  EXPECT_EQ(test::markup_problem(html, true), "");
  EXPECT_EQ(html.find("href=\"/c/"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothLanguages, Templates, ::testing::Values(Lang::kKo, Lang::kEn),
                         [](const auto& param_info) { return std::string(code(param_info.param)); });

// Writes the sample pages as a static site (pages, stylesheet, every product picture they show) and checks it
// is complete. Into MYCLOTHES_TEMPLATE_PREVIEW_DIR when set, to look at in a browser; else into a temp dir.
TEST(TemplatePreview, WritesSamplePagesWithEveryPictureTheyShow) {
  const char* out_env = std::getenv("MYCLOTHES_TEMPLATE_PREVIEW_DIR");
  const fs::path out =
      out_env != nullptr && *out_env != '\0' ? fs::path(out_env) : fs::path(::testing::TempDir()) / "myclothes_preview";
  const auto dir = template_dir();
  ASSERT_FALSE(dir.empty());
  Renderer r(dir);
  fs::create_directories(out);
  for (const char* file : {"app.css", "app.js", "favicon.svg"}) {
    fs::copy_file(dir.parent_path() / "static" / file, out / file, fs::copy_options::overwrite_existing);
  }
  std::set<std::string> images;
  auto save = [&](const std::string& name, std::string html) {
    // Root-relative URLs would point at the file system root: make them relative to the preview folder.
    static const std::regex img(R"(/img/([a-z]+)/(-?\d+)-([a-z]+)\.svg)");
    for (std::sregex_iterator it(html.begin(), html.end(), img), end; it != end; ++it) images.insert((*it)[0]);
    html = std::regex_replace(html, std::regex(R"("/img/)"), "\"img/");
    html = std::regex_replace(html, std::regex(R"("/static/([a-z.]+)(\?v=[a-z0-9]+)?")"), "\"$1\"");
    std::ofstream(out / name) << html;
  };
  for (Lang lang : {Lang::kKo, Lang::kEn}) {
    const std::string sfx = "-" + std::string(code(lang)) + ".html";
    save("home" + sfx, r.render_page("home", home_context(lang), layout(lang, "MyClothes")));
    save("category" + sfx, r.render_page("category", category_context(lang, false), layout(lang, "c", "outerwear")));
    save("category-empty" + sfx,
         r.render_page("category", category_context(lang, true), layout(lang, "c", "outerwear")));
    save("product" + sfx, r.render_page("product", product_context(lang), layout(lang, "p", "outerwear")));
    save("search" + sfx,
         r.render_page("search", search_context(lang, "항공 점퍼", false, true), layout(lang, "s", {}, "항공 점퍼")));
    save("search-empty" + sfx, r.render_page("search", search_context(lang, "zqxjvk wqzy", true, true),
                                             layout(lang, "s", {}, "zqxjvk wqzy")));
    save(
        "not_found" + sfx,
        r.render_page("not_found",
                      json::object{{"t", strings(lang)}, {"message", tr(lang, "not_found_message")}, {"home_url", "/"}},
                      layout(lang, "404")));
  }
  images.insert("/img/outerwear/3-khaki.svg");
  for (const auto& url : images) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(url, m, std::regex(R"(/img/([a-z]+)/(-?\d+)-([a-z]+)\.svg)")));
    const auto* color = catalog::find_color(m[3].str());
    ASSERT_NE(color, nullptr) << url;
    fs::create_directories(out / "img" / m[1].str());
    std::ofstream(out / url.substr(1)) << product_svg(std::stoll(m[2].str()), m[1].str(), color->hex.substr(1));
  }
  EXPECT_GE(images.size(), 20u);
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    if (entry.is_regular_file()) {
      EXPECT_GT(entry.file_size(), 100u) << entry.path();
    }
  }
  EXPECT_TRUE(fs::exists(out / "product-ko.html"));
  EXPECT_TRUE(fs::exists(out / "img" / "outerwear" / "3-khaki.svg"));
}

}  // namespace
}  // namespace mc::web
