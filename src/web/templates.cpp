#include "web/templates.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>
#include <stdexcept>

namespace mc::web {
namespace fs = std::filesystem;
using kainjow::mustache::data;
using kainjow::mustache::mustache;
using kainjow::mustache::partial;

namespace {

// Handlers build contexts as JSON (easy to build and to test); mustache wants its own tree.
data to_data(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      data d{data::type::object};
      for (const auto& [k, inner] : v.get_object()) d.set(std::string(k), to_data(inner));
      return d;
    }
    case boost::json::kind::array: {
      data d{data::type::list};
      for (const auto& inner : v.get_array()) d.push_back(to_data(inner));
      return d;
    }
    case boost::json::kind::string:
      return data{std::string(v.get_string())};
    case boost::json::kind::bool_:
      return data{v.get_bool() ? data::type::bool_true : data::type::bool_false};
    case boost::json::kind::int64:
      return data{std::to_string(v.get_int64())};
    case boost::json::kind::uint64:
      return data{std::to_string(v.get_uint64())};
    case boost::json::kind::double_:
      return data{fmt::format("{}", v.get_double())};
    case boost::json::kind::null:
      return data{data::type::bool_false};
  }
  return data{};
}

}  // namespace

struct Templates::Impl {
  std::map<std::string, std::string, std::less<>> sources;
  std::map<std::string, mustache, std::less<>> compiled;

  data partials{data::type::object};  // only the templates some template includes with {{> name}}

  // Partials sit below the page's data on the context stack: a data key never resolves to a template,
  // and a template name shadows no data key.
  std::string render(mustache& m, const boost::json::object& context) {
    data d = to_data(context);
    kainjow::mustache::context<std::string> ctx{&partials};
    ctx.push(&d);
    return m.render(ctx);
  }
};

Templates::Templates() : impl_(std::make_unique<Impl>()) {}
Templates::~Templates() = default;

Expected<std::shared_ptr<Templates>, std::string> Templates::load(const std::string& dir) {
  std::shared_ptr<Templates> t(new Templates());
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Unexpected(fmt::format("templates: {} is not a directory", dir));
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".mustache") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto name = entry.path().stem().string();
    t->impl_->sources.emplace(name, text.str());
    mustache m{text.str()};
    if (!m.is_valid()) return Unexpected(fmt::format("templates: {}: {}", entry.path().string(), m.error_message()));
    t->impl_->compiled.emplace(name, std::move(m));
  }
  for (const auto& [name, text] : t->impl_->sources) {
    const bool included = std::any_of(t->impl_->sources.begin(), t->impl_->sources.end(), [&](const auto& other) {
      return other.second.find("{{> " + name + "}}") != std::string::npos ||
             other.second.find("{{>" + name + "}}") != std::string::npos;
    });
    if (!included) continue;
    const std::string* body = &text;
    t->impl_->partials.set(name, partial{[body] { return *body; }});
  }
  if (!t->impl_->compiled.contains("layout"))
    return Unexpected(fmt::format("templates: {}/layout.mustache missing", dir));
  return t;
}

std::string Templates::render(std::string_view name, const boost::json::object& context) {
  auto it = impl_->compiled.find(name);
  if (it == impl_->compiled.end()) throw std::runtime_error(fmt::format("no template named {}", name));
  return impl_->render(it->second, context);
}

std::string Templates::render_page(std::string_view page, const boost::json::object& context,
                                   boost::json::object layout) {
  layout["content"] = render(page, context);
  return render("layout", layout);
}

}  // namespace mc::web
