#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/model.hpp"
#include "core/expected.hpp"

// The catalog's JSON documents, exactly as API.md shows them. They are also what the cache stores, so a
// cache hit is sent to the client as it is.
namespace mc::catalog {

std::string image_url(std::string_view category, std::int64_t product_id, std::string_view color);

std::string to_json(const Product& p);
std::string to_json(const Listing& l);
std::string to_json(const std::vector<Category>& categories);

Expected<Product, std::string> product_from_json(std::string_view text);
Expected<Listing, std::string> listing_from_json(std::string_view text);
Expected<std::vector<Category>, std::string> categories_from_json(std::string_view text);

}  // namespace mc::catalog
