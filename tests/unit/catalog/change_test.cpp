#include "catalog/change.hpp"

#include <gtest/gtest.h>

namespace mc::catalog {
namespace {

// The field a refused body is blamed on.
std::string refused(std::string_view body) {
  auto c = parse_product_change(body);
  if (c) return "(accepted)";
  return c.error().field.empty() ? "(body)" : c.error().field;
}

TEST(ProductChange, TakesEveryFieldThatMayChange) {
  auto c = parse_product_change(R"({"name":{"ko":"항공 점퍼","en":"Flight Jacket"},
    "description":{"ko":"따뜻한 점퍼.\n두 줄.","en":"Warm."}, "price":129000,
    "variants":[{"sku":"P42-BLACK-M","stock":3},{"sku":"P42-BLACK-L","stock":0}]})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->name_ko, "항공 점퍼");
  EXPECT_EQ(c->name_en, "Flight Jacket");
  EXPECT_EQ(c->description_ko, "따뜻한 점퍼.\n두 줄.");
  EXPECT_EQ(c->description_en, "Warm.");
  EXPECT_EQ(c->price, 129000);
  ASSERT_EQ(c->stock.size(), 2u);
  EXPECT_EQ(c->stock[0].sku, "P42-BLACK-M");
  EXPECT_EQ(c->stock[0].stock, 3);
  EXPECT_EQ(c->stock[1].stock, 0);
}

TEST(ProductChange, EveryFieldIsOptionalAndSoIsEachLanguage) {
  auto price = parse_product_change(R"({"price":1})");
  ASSERT_TRUE(price);
  EXPECT_EQ(price->price, 1);
  EXPECT_FALSE(price->name_ko);
  EXPECT_TRUE(price->stock.empty());
  auto english = parse_product_change(R"({"name":{"en":"Bomber"}})");
  ASSERT_TRUE(english);
  EXPECT_FALSE(english->name_ko);
  EXPECT_EQ(english->name_en, "Bomber");
  EXPECT_TRUE(parse_product_change(R"({"price":100000000})"));
  EXPECT_TRUE(parse_product_change(R"({"variants":[{"sku":"A-1","stock":100000}]})"));
}

TEST(ProductChange, RefusesWhatIsNotAnObjectOrChangesNothing) {
  EXPECT_EQ(refused(""), "(body)");
  EXPECT_EQ(refused("{"), "(body)");
  EXPECT_EQ(refused("[]"), "(body)");
  EXPECT_EQ(refused("\"price\""), "(body)");
  EXPECT_EQ(refused("{}"), "(body)");
  EXPECT_EQ(refused(R"({"variants":[]})"), "(body)");
}

TEST(ProductChange, PricesAreWholeWonWithinLimits) {
  EXPECT_EQ(refused(R"({"price":0})"), "price");
  EXPECT_EQ(refused(R"({"price":-5})"), "price");
  EXPECT_EQ(refused(R"({"price":100000001})"), "price");
  EXPECT_EQ(refused(R"({"price":18446744073709551615})"), "price");
  EXPECT_EQ(refused(R"({"price":1000.5})"), "price");
  EXPECT_EQ(refused(R"({"price":1e3})"), "price");
  EXPECT_EQ(refused(R"({"price":"1000"})"), "price");
  EXPECT_EQ(refused(R"({"price":null})"), "price");
  EXPECT_EQ(refused(R"({"price":true})"), "price");
}

TEST(ProductChange, NamesAndDescriptionsAreReadableText) {
  EXPECT_EQ(refused(R"({"name":"Jacket"})"), "name");
  EXPECT_EQ(refused(R"({"name":{}})"), "name");
  EXPECT_EQ(refused(R"({"name":{"ko":""}})"), "name.ko");
  EXPECT_EQ(refused(R"({"name":{"en":"   "}})"), "name.en");
  EXPECT_EQ(refused(R"({"name":{"en":5}})"), "name.en");
  EXPECT_EQ(refused(R"({"name":{"fr":"Veste"}})"), "name.fr");
  EXPECT_EQ(refused(R"({"name":{"en":"two\nlines"}})"), "name.en");
  EXPECT_EQ(refused(R"({"name":{"en":"marker\u0001"}})"), "name.en") << "\\x01 is the pages' stand-in marker";
  EXPECT_EQ(refused(R"({"description":{"en":"bell\u0007"}})"), "description.en");
  const std::string long_name(kMaxNameLength + 1, 'x');
  EXPECT_EQ(refused(R"({"name":{"en":")" + long_name + R"("}})"), "name.en");
  std::string korean;
  for (std::size_t i = 0; i < kMaxNameLength; ++i) korean += "점";
  EXPECT_EQ(refused(R"({"name":{"ko":")" + korean + R"("}})"), "(accepted)") << "characters count, not bytes";
}

TEST(ProductChange, StockChangesNameTheirVariant) {
  EXPECT_EQ(refused(R"({"variants":{}})"), "variants");
  EXPECT_EQ(refused(R"({"variants":[5]})"), "variants[0]");
  EXPECT_EQ(refused(R"({"variants":[{"stock":1}]})"), "variants[0].sku");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"","stock":1}]})"), "variants[0].sku");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A B","stock":1}]})"), "variants[0].sku");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A\"B","stock":1}]})"), "variants[0].sku");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A","stock":1},{"sku":"B"}]})"), "variants[1].stock");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A","stock":-1}]})"), "variants[0].stock");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A","stock":100001}]})"), "variants[0].stock");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A","stock":1.5}]})"), "variants[0].stock");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A","stock":1},{"sku":"A","stock":2}]})"), "variants[1].sku");
  EXPECT_EQ(refused(R"({"variants":[{"sku":"A","stock":1,"size":"M"}]})"), "variants[0].size");
}

TEST(ProductChange, SlugsCategoriesAndUnknownKeysAreRefused) {
  EXPECT_EQ(refused(R"({"price":1000,"slug":"new-slug"})"), "slug");
  EXPECT_EQ(refused(R"({"category":"tops"})"), "category");
  EXPECT_EQ(refused(R"({"price":1000,"colour":"red"})"), "colour");
  EXPECT_EQ(refused(R"({"id":7})"), "id");
}

}  // namespace
}  // namespace mc::catalog
