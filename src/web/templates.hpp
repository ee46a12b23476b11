#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace mc::web {

// The page templates (mustache, web/templates/*.mustache, see web/mustache.hpp), compiled once. A page
// renders into layout.mustache as {{{content}}}; every template is also a partial under its base name.
// `shared` is data every page sees below its own (e.g. the translated strings), searched last and never
// copied. Rendering does not modify the templates: one Templates may serve every thread.
class Templates {
 public:
  static Expected<std::shared_ptr<Templates>, std::string> load(const std::string& dir);

  // Renders `page` with `context`, then the layout with `layout` plus {{{content}}}.
  std::string render_page(std::string_view page, const boost::json::object& context, boost::json::object layout,
                          const boost::json::object* shared = nullptr);
  std::string render(std::string_view name, const boost::json::object& context,
                     const boost::json::object* shared = nullptr);

  ~Templates();

 private:
  struct Impl;
  Templates();
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::web
