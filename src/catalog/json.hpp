#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/model.hpp"
#include "core/expected.hpp"

// The catalog's JSON documents, exactly as API.md shows them. They are also what the cache stores, so a
// cache hit is sent to the client as it is.
namespace mc::catalog {

// Which drawing a product's picture uses, from its English name, where a category has two: outerwear
// "coat" (coats, blazers) or "jacket"; tops "sweat" (hoodies, sweatshirts, knits) or "tee". "" elsewhere.
std::string_view garment_of(std::string_view category, std::string_view name_en);
// /img/{category}/{id}-{color}.svg, with ?g={garment} when the name picks one of two drawings.
std::string image_url(std::string_view category, std::int64_t product_id, std::string_view color,
                      std::string_view name_en = {});

std::string to_json(const Product& p);
std::string to_json(const Listing& l);
std::string to_json(const std::vector<Category>& categories);

Expected<Product, std::string> product_from_json(std::string_view text);
Expected<Listing, std::string> listing_from_json(std::string_view text);
Expected<std::vector<Category>, std::string> categories_from_json(std::string_view text);

}  // namespace mc::catalog
