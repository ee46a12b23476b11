#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Product pictures drawn from the URL alone: a flat illustration of the garment type of a category in the
// product's colour, on a soft background that varies with the product id. No database, no files: every
// instance draws the same bytes, so the picture can be cached for a year.
namespace mc::web {

// Exactly six hexadecimal digits, no '#'.
bool valid_hex6(std::string_view text);

// An SVG document (viewBox 0 0 600 750, well under 4 KB) of the garment of `category_slug` (outerwear,
// tops, bottoms, dresses, shoes, bags, accessories; anything else draws a t-shirt) in `color_hex6`
// (a neutral grey when not valid_hex6). Presentation attributes only, no style or script: the bytes are safe
// under the site's Content-Security-Policy and in an <img>.
// `garment` ("coat", "jacket", "sweat", "tee"; see catalog::garment_of) picks between a category's two
// drawings; empty or unknown: picked from the product id.
std::string product_svg(std::int64_t product_id, std::string_view category_slug, std::string_view color_hex6,
                        std::string_view garment = {});

}  // namespace mc::web
