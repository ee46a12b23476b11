#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace mc::web {

// The page templates (mustache, web/templates/*.mustache), compiled once. A page renders into
// layout.mustache as {{{content}}}; every template is also a partial under its base name.
// Rendering is not thread-safe: each I/O thread holds its own Templates.
class Templates {
 public:
  static Expected<std::shared_ptr<Templates>, std::string> load(const std::string& dir);

  // Renders `page` with `context`, then the layout with `layout` plus {{{content}}}.
  std::string render_page(std::string_view page, const boost::json::object& context, boost::json::object layout);
  std::string render(std::string_view name, const boost::json::object& context);

  ~Templates();

 private:
  struct Impl;
  Templates();
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::web
