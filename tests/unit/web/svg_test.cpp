#include "web/svg.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "unit/web/markup.hpp"

namespace mc::web {
namespace {

constexpr std::array<std::string_view, 8> kCategories{"outerwear", "tops", "bottoms",     "dresses",
                                                      "shoes",     "bags", "accessories", "unknown-slug"};

TEST(Svg, ValidHex6) {
  EXPECT_TRUE(valid_hex6("1b1b1b"));
  EXPECT_TRUE(valid_hex6("ABCdef"));
  EXPECT_FALSE(valid_hex6("#1b1b1b"));
  EXPECT_FALSE(valid_hex6("1b1b1"));
  EXPECT_FALSE(valid_hex6("1b1b1b1"));
  EXPECT_FALSE(valid_hex6("gggggg"));
  EXPECT_FALSE(valid_hex6(""));
}

TEST(Svg, EveryCategoryDrawsAWellFormedSmallPictureInItsColour) {
  for (auto category : kCategories) {
    for (std::int64_t id : {0, 1, 2, 3, 17, 123456789}) {
      for (std::string_view hex : {"1b1b1b", "fafafa", "c62828", "9cc7e6"}) {
        const auto svg = product_svg(id, category, hex);
        SCOPED_TRACE(std::string(category) + " " + std::to_string(id) + " " + std::string(hex));
        EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        EXPECT_TRUE(svg.ends_with("</svg>"));
        EXPECT_NE(svg.find("viewBox=\"0 0 600 750\""), std::string::npos);
        EXPECT_NE(svg.find("fill=\"#" + std::string(hex) + "\""), std::string::npos) << "the garment colour";
        EXPECT_LE(svg.size(), 4096u);
        EXPECT_EQ(test::markup_problem(svg, false), "");
        // Nothing a Content-Security-Policy would block, no placeholder left unfilled.
        EXPECT_EQ(svg.find("style"), std::string::npos);
        EXPECT_EQ(svg.find("script"), std::string::npos);
        EXPECT_EQ(svg.find('$'), std::string::npos);
      }
    }
  }
}

TEST(Svg, Deterministic) {
  EXPECT_EQ(product_svg(42, "outerwear", "6b6a45"), product_svg(42, "outerwear", "6b6a45"));
  EXPECT_EQ(product_svg(7, "shoes", "1f2a44"), product_svg(7, "shoes", "1f2a44"));
}

TEST(Svg, PicturesDifferByCategoryColourAndProduct) {
  std::set<std::string> by_category;
  for (auto category : kCategories) by_category.insert(product_svg(5, category, "1b1b1b"));
  EXPECT_GE(by_category.size(), 7u) << "each known category has its own drawing";
  EXPECT_NE(product_svg(5, "tops", "1b1b1b"), product_svg(5, "tops", "c62828"));
  std::set<std::string> by_id;
  for (std::int64_t id = 1; id <= 20; ++id) by_id.insert(product_svg(id, "bags", "1b1b1b"));
  EXPECT_GE(by_id.size(), 10u) << "the background varies with the product";
}

TEST(Svg, AnInvalidColourDrawsGreyAndIsNeverCopiedIntoTheDocument) {
  const auto svg = product_svg(1, "tops", "\"/><script>alert(1)</script>");
  EXPECT_EQ(svg.find("script"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#8e8e8e\""), std::string::npos);
  EXPECT_EQ(test::markup_problem(svg, false), "");
  EXPECT_EQ(product_svg(1, "tops", "#c62828"), svg) << "a leading # is not valid_hex6";
}

TEST(Svg, NegativeAndHugeIdsAreFine) {
  for (std::int64_t id :
       {std::int64_t{-1}, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    const auto svg = product_svg(id, "outerwear", "1b1b1b");
    EXPECT_EQ(test::markup_problem(svg, false), "");
  }
}

}  // namespace
}  // namespace mc::web

namespace mc::web {
namespace {

TEST(ProductSvgGarment, TheNameDecidesBetweenTwoDrawings) {
  // Whatever the id, the garment named decides the drawing.
  for (std::int64_t id = 1; id < 12; ++id) {
    EXPECT_NE(product_svg(id, "outerwear", "333333", "coat"), product_svg(id, "outerwear", "333333", "jacket")) << id;
    EXPECT_NE(product_svg(id, "tops", "333333", "sweat"), product_svg(id, "tops", "333333", "tee")) << id;
  }
}

}  // namespace
}  // namespace mc::web
