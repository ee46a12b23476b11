#include "catalog/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

namespace mc::catalog {
namespace json = boost::json;
namespace {

json::object localized(const Localized& l) { return {{"ko", l.ko}, {"en", l.en}}; }

Localized localized_from(const json::value& v) {
  const auto& o = v.as_object();
  return {std::string(o.at("ko").as_string()), std::string(o.at("en").as_string())};
}

std::vector<std::string> distinct_colors(const std::vector<Variant>& variants) {
  std::vector<std::string> colors;
  for (const auto& v : variants) {
    if (std::find(colors.begin(), colors.end(), v.color) == colors.end()) colors.push_back(v.color);
  }
  return colors;
}

template <class T, class F>
Expected<T, std::string> parse_with(std::string_view text, F&& f) {
  try {
    return f(json::parse(text));
  } catch (const std::exception& e) {
    return Unexpected(std::string("malformed catalog document: ") + e.what());
  }
}

}  // namespace

std::string_view garment_of(std::string_view category, std::string_view name_en) {
  auto has = [&](std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(), [&](auto w) { return name_en.find(w) != std::string_view::npos; });
  };
  if (name_en.empty()) return {};
  if (category == "outerwear") return has({"Coat", "Blazer", "Cardigan"}) ? "coat" : "jacket";
  if (category == "tops") return has({"Hoodie", "Sweat", "Knit"}) ? "sweat" : "tee";
  return {};
}

std::string image_url(std::string_view category, std::int64_t product_id, std::string_view color,
                      std::string_view name_en) {
  const auto garment = garment_of(category, name_en);
  if (garment.empty()) return fmt::format("/img/{}/{}-{}.svg", category, product_id, color);
  return fmt::format("/img/{}/{}-{}.svg?g={}", category, product_id, color, garment);
}

std::string to_json(const Product& p) {
  json::array images;
  for (const auto& c : distinct_colors(p.variants)) images.emplace_back(image_url(p.category, p.id, c, p.name.en));
  json::array variants;
  for (const auto& v : p.variants) {
    variants.emplace_back(json::object{{"sku", v.sku}, {"size", v.size}, {"color", v.color}, {"stock", v.stock}});
  }
  json::object o{{"id", p.id},
                 {"slug", p.slug},
                 {"name", localized(p.name)},
                 {"description", localized(p.description)},
                 {"category", p.category},
                 {"price", p.price},
                 {"currency", "KRW"},
                 {"featured", p.featured},
                 {"images", std::move(images)},
                 {"variants", std::move(variants)}};
  return json::serialize(o);
}

std::string to_json(const Listing& l) {
  json::array items;
  for (const auto& s : l.items) {
    json::array colors;
    for (const auto& c : s.colors) colors.emplace_back(c);
    const std::string first_color = s.colors.empty() ? std::string("black") : s.colors.front();
    items.emplace_back(json::object{{"id", s.id},
                                    {"slug", s.slug},
                                    {"name", localized(s.name)},
                                    {"category", s.category},
                                    {"price", s.price},
                                    {"currency", "KRW"},
                                    {"image", image_url(s.category, s.id, first_color, s.name.en)},
                                    {"colors", std::move(colors)},
                                    {"in_stock", s.in_stock}});
  }
  json::object o{{"items", std::move(items)}, {"total", l.total}, {"page", l.page}, {"per_page", l.per_page}};
  return json::serialize(o);
}

std::string to_json(const std::vector<Category>& categories) {
  json::array items;
  for (const auto& c : categories) {
    items.emplace_back(json::object{{"slug", c.slug}, {"name", localized(c.name)}, {"count", c.count}});
  }
  return json::serialize(json::object{{"items", std::move(items)}});
}

Expected<Product, std::string> product_from_json(std::string_view text) {
  return parse_with<Product>(text, [](const json::value& v) {
    const auto& o = v.as_object();
    Product p;
    p.id = o.at("id").to_number<std::int64_t>();
    p.slug = o.at("slug").as_string();
    p.name = localized_from(o.at("name"));
    p.description = localized_from(o.at("description"));
    p.category = o.at("category").as_string();
    p.price = o.at("price").to_number<std::int64_t>();
    if (const auto* f = o.if_contains("featured")) p.featured = f->as_bool();
    for (const auto& item : o.at("variants").as_array()) {
      const auto& vo = item.as_object();
      p.variants.push_back(Variant{std::string(vo.at("sku").as_string()), std::string(vo.at("size").as_string()),
                                   std::string(vo.at("color").as_string()), vo.at("stock").to_number<int>()});
    }
    return p;
  });
}

Expected<Listing, std::string> listing_from_json(std::string_view text) {
  return parse_with<Listing>(text, [](const json::value& v) {
    const auto& o = v.as_object();
    Listing l;
    l.total = o.at("total").to_number<std::int64_t>();
    l.page = o.at("page").to_number<int>();
    l.per_page = o.at("per_page").to_number<int>();
    for (const auto& item : o.at("items").as_array()) {
      const auto& io = item.as_object();
      ProductSummary s;
      s.id = io.at("id").to_number<std::int64_t>();
      s.slug = io.at("slug").as_string();
      s.name = localized_from(io.at("name"));
      s.category = io.at("category").as_string();
      s.price = io.at("price").to_number<std::int64_t>();
      for (const auto& c : io.at("colors").as_array()) s.colors.emplace_back(c.as_string());
      s.in_stock = io.at("in_stock").as_bool();
      l.items.push_back(std::move(s));
    }
    return l;
  });
}

Expected<std::vector<Category>, std::string> categories_from_json(std::string_view text) {
  return parse_with<std::vector<Category>>(text, [](const json::value& v) {
    std::vector<Category> out;
    for (const auto& item : v.as_object().at("items").as_array()) {
      const auto& io = item.as_object();
      out.push_back(Category{std::string(io.at("slug").as_string()), localized_from(io.at("name")),
                             io.at("count").to_number<std::int64_t>()});
    }
    return out;
  });
}

}  // namespace mc::catalog
