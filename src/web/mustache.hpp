#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc::web::mustache {

// A compiled set of mustache templates that renders straight from Boost.JSON values: no conversion of the
// data, no parsing at render time, partials resolved by name from the same set.
//
// Supported: {{name}} (HTML-escaped), {{{name}}} and {{& name}} (raw), dotted names and {{.}},
// {{#section}} / {{^inverted}} over lists, objects and booleans, {{! comments}}, {{> partial}}.
// Not supported (a compile error): changing the delimiters.
//
// Truth: null, false and empty lists are false; everything else — strings (even empty), numbers (even 0)
// and objects — is true. Numbers print as decimals, true/false as words, null as nothing.
//
// Lookup: a plain name is searched from the innermost context outwards; for a dotted name the first part
// is searched that way and the rest is followed inside it.
class Library {
 public:
  Library();
  ~Library();
  Library(Library&&) noexcept;
  Library& operator=(Library&&) noexcept;

  // Compiles `text` as template `name` (replacing one of the same name). Errors name the template and line.
  Expected<bool, std::string> add(const std::string& name, std::string_view text);
  bool contains(std::string_view name) const;

  // One layer of data: an object, or any value (for {{.}}). Later layers are searched first.
  struct Layer {
    const boost::json::object* object = nullptr;
    const boost::json::value* value = nullptr;
  };

  // Renders template `name` (throws std::out_of_range when there is none) against `layers`, outermost first.
  std::string render(std::string_view name, std::span<const Layer> layers) const;
  void render_to(std::string& out, std::string_view name, std::span<const Layer> layers) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `text` HTML-escaped (& < > " ').
void append_escaped(std::string& out, std::string_view text);

}  // namespace mc::web::mustache
