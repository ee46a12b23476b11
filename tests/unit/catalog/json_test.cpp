#include "catalog/json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mc::catalog {
namespace {

Product sample() {
  Product p;
  p.id = 42;
  p.slug = "oversized-flight-jacket-42";
  p.name = {"오버핏 항공 점퍼", "Oversized Flight Jacket"};
  p.description = {"따뜻한 \"MA-1\" 점퍼.", "A warm MA-1 jacket."};
  p.category = "outerwear";
  p.price = 129000;
  p.variants = {{"P42-BLACK-M", "M", "black", 2}, {"P42-BLACK-L", "L", "black", 0}, {"P42-KHAKI-M", "M", "khaki", 9}};
  return p;
}

TEST(ProductJson, HasExactlyTheApiShape) {
  const auto v = boost::json::parse(to_json(sample())).as_object();
  for (auto key : {"id", "slug", "name", "description", "category", "price", "currency", "images", "variants"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
  EXPECT_EQ(v.at("currency").as_string(), "KRW");
  EXPECT_EQ(v.at("name").at("ko").as_string(), "오버핏 항공 점퍼");
  ASSERT_EQ(v.at("images").as_array().size(), 2u);  // one per colour
  EXPECT_EQ(v.at("images").as_array()[0].as_string(), "/img/outerwear/42-black.svg?g=jacket");
  const auto& variant = v.at("variants").as_array()[0].as_object();
  EXPECT_EQ(variant.at("sku").as_string(), "P42-BLACK-M");
  EXPECT_EQ(variant.at("stock").as_int64(), 2);
}

TEST(ProductJson, RoundTrips) {
  auto back = product_from_json(to_json(sample()));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->name.en, "Oversized Flight Jacket");
  EXPECT_EQ(back->description.ko, "따뜻한 \"MA-1\" 점퍼.");
  ASSERT_EQ(back->variants.size(), 3u);
  EXPECT_EQ(back->variants[2].color, "khaki");
}

TEST(ProductJson, MalformedIsAnErrorNotACrash) {
  EXPECT_FALSE(product_from_json("{"));
  EXPECT_FALSE(product_from_json(R"({"id":"x"})"));
  EXPECT_FALSE(listing_from_json("[]"));
}

TEST(ListingJson, RoundTripsWithTotals) {
  Listing l;
  l.total = 1234;
  l.page = 2;
  l.per_page = 24;
  l.items.push_back(
      ProductSummary{7, "basic-tee-7", {"베이직 티셔츠", "Basic Tee"}, "tops", 19900, {"white", "navy"}, true});
  const auto text = to_json(l);
  const auto v = boost::json::parse(text).as_object();
  EXPECT_EQ(v.at("total").as_int64(), 1234);
  EXPECT_EQ(v.at("items").as_array()[0].at("image").as_string(), "/img/tops/7-white.svg?g=tee");
  auto back = listing_from_json(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->items[0].colors.size(), 2u);
  EXPECT_TRUE(back->items[0].in_stock);
}

}  // namespace
}  // namespace mc::catalog

namespace mc::catalog {
namespace {

TEST(ProductPictures, DrawWhatTheProductIsCalled) {
  EXPECT_EQ(garment_of("outerwear", "MA-1 Flight Jacket"), "jacket");
  EXPECT_EQ(garment_of("outerwear", "Wool Long Coat"), "coat");
  EXPECT_EQ(garment_of("outerwear", "Vintage Cardigan"), "coat");
  EXPECT_EQ(garment_of("tops", "Cotton Hoodie"), "sweat");
  EXPECT_EQ(garment_of("tops", "Oxford Shirt"), "tee");
  EXPECT_EQ(garment_of("shoes", "Sneakers"), "");
  EXPECT_EQ(garment_of("outerwear", ""), "") << "no name: the drawing follows the id";
  EXPECT_EQ(image_url("shoes", 5, "red", "Canvas Sneakers"), "/img/shoes/5-red.svg");
  EXPECT_EQ(image_url("outerwear", 0, "khaki"), "/img/outerwear/0-khaki.svg");
}

}  // namespace
}  // namespace mc::catalog
