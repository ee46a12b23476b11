#include "web/mustache.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mc::web::mustache {
namespace {

namespace json = boost::json;

std::string render(std::string_view text, const json::object& data, const json::object* shared = nullptr) {
  Library lib;
  auto added = lib.add("t", text);
  EXPECT_TRUE(added) << (added ? "" : added.error());
  const Library::Layer layers[] = {{shared, nullptr}, {&data, nullptr}};
  return lib.render("t", std::span(layers).subspan(shared ? 0 : 1));
}

std::string compile_error(std::string_view text) {
  Library lib;
  auto added = lib.add("page", text);
  return added ? std::string() : added.error();
}

TEST(Mustache, VariablesAreEscapedUnlessRaw) {
  const json::object data{{"name", "<b>\"Tom\" & 'Jerry'</b>"}};
  EXPECT_EQ(render("Hi {{name}}!", data), "Hi &lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;!");
  EXPECT_EQ(render("{{{name}}}|{{& name}}", data), "<b>\"Tom\" & 'Jerry'</b>|<b>\"Tom\" & 'Jerry'</b>");
}

TEST(Mustache, ValuesOfEveryKindPrint) {
  const json::object data{{"i", -3},         {"u", std::uint64_t{18446744073709551615ULL}},
                          {"d", 1.5},        {"t", true},
                          {"f", false},      {"n", nullptr},
                          {"s", "항공 점퍼"}};
  EXPECT_EQ(render("{{i}} {{u}} {{d}} {{t}} {{f}} [{{n}}] [{{missing}}] {{s}}", data),
            "-3 18446744073709551615 1.5 true false [] [] 항공 점퍼");
}

TEST(Mustache, SectionsIterateListsAndEnterObjects) {
  const json::object data{{"items", json::array{json::object{{"n", "a"}}, json::object{{"n", "b"}}}},
                          {"user", json::object{{"name", "Kim"}}},
                          {"words", json::array{"x", "y"}}};
  EXPECT_EQ(render("{{#items}}<{{n}}>{{/items}}", data), "<a><b>");
  EXPECT_EQ(render("{{#user}}{{name}}{{/user}}", data), "Kim");
  EXPECT_EQ(render("{{#words}}{{.}},{{/words}}", data), "x,y,");
}

TEST(Mustache, TruthFollowsTheDocumentedRules) {
  const json::object data{{"yes", true},          {"no", false},     {"zero", 0},
                          {"empty", ""},          {"none", nullptr}, {"list", json::array{}},
                          {"obj", json::object{}}};
  EXPECT_EQ(render("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}n{{/no}}", data), "Yn");
  EXPECT_EQ(render("{{#zero}}0{{/zero}}{{#empty}}E{{/empty}}{{#obj}}O{{/obj}}", data), "0EO");
  EXPECT_EQ(render("{{^none}}-{{/none}}{{^list}}-{{/list}}{{^missing}}-{{/missing}}", data), "---");
}

TEST(Mustache, NamesResolveOutwardsAndDottedNamesGoInside) {
  const json::object data{{"title", "outer"},
                          {"a", json::object{{"b", json::object{{"c", "deep"}}}}},
                          {"items", json::array{json::object{{"title", "inner"}}, json::object{{"x", 1}}}}};
  EXPECT_EQ(render("{{#items}}{{title}} {{/items}}", data), "inner outer ");
  EXPECT_EQ(render("{{a.b.c}}|{{a.x.c}}|{{#a}}{{b.c}}{{/a}}", data), "deep||deep");
}

TEST(Mustache, SharedDataIsSearchedLast) {
  const json::object shared{{"t", json::object{{"hello", "안녕"}}}, {"title", "shared"}};
  const json::object data{{"title", "page"}};
  EXPECT_EQ(render("{{t.hello}} {{title}}", data, &shared), "안녕 page");
}

TEST(Mustache, PartialsRenderWithTheCurrentContext) {
  Library lib;
  ASSERT_TRUE(lib.add("card", "[{{name}}]"));
  ASSERT_TRUE(lib.add("page", "{{#items}}{{> card}}{{/items}}{{>missing}}"));
  const json::object data{{"items", json::array{json::object{{"name", "a"}}, json::object{{"name", "b"}}}}};
  const Library::Layer layers[] = {{&data, nullptr}};
  EXPECT_EQ(lib.render("page", layers), "[a][b]");
}

TEST(Mustache, RunawayPartialRecursionStops) {
  Library lib;
  ASSERT_TRUE(lib.add("loop", "x{{> loop}}"));
  const json::object data;
  const Library::Layer layers[] = {{&data, nullptr}};
  EXPECT_THROW(lib.render("loop", layers), std::runtime_error);
  EXPECT_THROW(lib.render("nope", layers), std::out_of_range);
}

TEST(Mustache, CommentsVanish) { EXPECT_EQ(render("a{{! anything {{ here }}b", {}), "ab"); }

TEST(Mustache, MalformedTemplatesAreRefusedWithTheLine) {
  EXPECT_EQ(compile_error("ok\n{{#a}}\n{{/b}}"), "template page line 3: {{/b}} closes {{#a}}");
  EXPECT_EQ(compile_error("{{#a}}\nnever closed"), "template page line 1: {{#a}} is not closed");
  EXPECT_EQ(compile_error("{{/a}}"), "template page line 1: {{/a}} closes no section");
  EXPECT_EQ(compile_error("x {{name"), "template page line 1: a tag is not closed");
  EXPECT_EQ(compile_error("{{=<% %>=}}"), "template page line 1: changing the delimiters is not supported");
  EXPECT_EQ(compile_error("{{ }}"), "template page line 1: an empty tag");
}

}  // namespace
}  // namespace mc::web::mustache
