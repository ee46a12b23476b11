#include "web/templates.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "web/mustache.hpp"

namespace mc::web {
namespace fs = std::filesystem;
namespace json = boost::json;
using Layer = mustache::Library::Layer;

struct Templates::Impl {
  mustache::Library library;
};

Templates::Templates() : impl_(std::make_unique<Impl>()) {}
Templates::~Templates() = default;

Expected<std::shared_ptr<Templates>, std::string> Templates::load(const std::string& dir) {
  std::shared_ptr<Templates> t(new Templates());
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Unexpected(fmt::format("templates: {} is not a directory", dir));
  std::map<std::string, std::string> sources;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".mustache") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto name = entry.path().stem().string();
    if (auto added = t->impl_->library.add(name, text.str()); !added) {
      return Unexpected(fmt::format("templates: {}: {}", entry.path().string(), added.error()));
    }
    sources.emplace(name, text.str());
  }
  if (!t->impl_->library.contains("layout")) {
    return Unexpected(fmt::format("templates: {}/layout.mustache missing", dir));
  }
  // A partial that does not exist would render as nothing: refuse to start instead.
  static const std::regex partial(R"(\{\{>\s*([A-Za-z0-9_]+)\s*\}\})");
  for (const auto& [name, text] : sources) {
    for (std::sregex_iterator it(text.begin(), text.end(), partial), end; it != end; ++it) {
      if (!sources.contains((*it)[1])) {
        return Unexpected(
            fmt::format("templates: {} includes {{{{> {}}}}}, which is not in {}", name, (*it)[1].str(), dir));
      }
    }
  }
  return t;
}

std::string Templates::render(std::string_view name, const json::object& context, const json::object* shared) {
  const Layer layers[] = {Layer{shared, nullptr}, Layer{&context, nullptr}};
  return impl_->library.render(name, std::span(layers).subspan(shared ? 0 : 1));
}

std::string Templates::render_page(std::string_view page, const json::object& context, json::object layout,
                                   const json::object* shared) {
  layout["content"] = render(page, context, shared);
  return render("layout", layout, shared);
}

}  // namespace mc::web
