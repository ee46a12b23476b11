#pragma once

// Settings by name: a table from "section.key" to a parser that sets one field of a struct. The instance's
// configuration (core/config) and the region's options (region/options) are both read through such a table,
// so a TOML file, the environment and command-line flags all go through the same checks and give the same
// one-line errors ("server.port: expected an integer 1..65535, got \"x\" (command line)").
//
// Settings with a fixed set of values are enums whose names are written once, in a `Choices<E>`
// specialisation: the parser, the error message and `--help` all use that one list.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc {

// The names of an enum's values, in the order of the values (0, 1, ...):
//   template <> struct Choices<Color> { static constexpr std::array<std::string_view, 2> names{"red", "blue"}; };
template <class E>
struct Choices;

template <class E>
std::string_view to_string(E value) requires requires {
  Choices<E>::names;
}
{ return Choices<E>::names[static_cast<std::size_t>(value)]; }

template <class E>
std::optional<E> parse_choice(std::string_view text) {
  const auto& names = Choices<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

// "sticky|cookie|redis|dynamodb", for help texts and errors.
template <class E>
std::string choice_list(std::string_view separator = "|") {
  std::string out;
  for (const auto name : Choices<E>::names) {
    if (!out.empty()) out += separator;
    out += name;
  }
  return out;
}

template <class E>
std::vector<std::string> choice_names() {
  return {Choices<E>::names.begin(), Choices<E>::names.end()};
}

namespace settings {

// What a value was written as. The environment and flags give text (kText), which every setting parses; a
// TOML file gives typed values, and a setting takes only its own type there (`cache = "no"` is an error,
// not a false).
enum class Kind { kText, kString, kInteger, kFloat, kBoolean, kArray };

// Parses `text` into the field it was made for; an error message (without the setting's name) otherwise.
using Setter = std::function<std::optional<std::string>(const std::string& text, Kind kind)>;
// "section.key" -> its setter. The setters refer to the fields of one struct, which must outlive the table.
using Table = std::map<std::string, Setter>;

std::optional<std::string> parse_integer(const std::string& text, Kind kind, long long lo, long long hi,
                                         long long& out);

template <class T>
Setter integer(T& field, long long lo, long long hi) {
  return [&field, lo, hi](const std::string& text, Kind kind) -> std::optional<std::string> {
    long long v = 0;
    if (auto err = parse_integer(text, kind, lo, hi, v)) return err;
    field = static_cast<T>(v);
    return std::nullopt;
  };
}

template <class Duration>
Setter duration(Duration& field, long long lo, long long hi) {
  return [&field, lo, hi](const std::string& text, Kind kind) -> std::optional<std::string> {
    long long v = 0;
    if (auto err = parse_integer(text, kind, lo, hi, v)) return err;
    field = Duration(v);
    return std::nullopt;
  };
}

Setter string(std::string& field, bool allow_empty = true);
Setter boolean(bool& field);
Setter fraction(double& field);  // [0, 1)
// A list is written as a TOML array in a file and comma-separated elsewhere.
Setter list(std::vector<std::string>& field);

template <class E>
Setter choice(E& field) {
  return [&field](const std::string& text, Kind kind) -> std::optional<std::string> {
    if (auto v = parse_choice<E>(text); v && (kind == Kind::kText || kind == Kind::kString)) {
      field = *v;
      return std::nullopt;
    }
    return "expected one of " + choice_list<E>() + ", got \"" + text + "\"";
  };
}

// Sets `key` to `value`; an error names the key and says where the value came from (`origin`).
std::optional<std::string> apply(const Table& table, const std::string& key, const std::string& value,
                                 std::string_view origin, Kind kind = Kind::kText);

// Every `key = value` of every [section] of a TOML file, through the table. A file that cannot be read or
// parsed, an unknown key or a bad value is a one-line error naming the file (and the key).
std::optional<std::string> apply_file(const Table& table, const std::string& path);

// Each setting that has an environment variable `prefix` + SECTION_KEY (upper case, '.' as '_').
std::optional<std::string> apply_environment(const Table& table, const std::map<std::string, std::string>& env,
                                             std::string_view prefix);

std::string environment_name(std::string_view prefix, std::string_view key);

}  // namespace settings
}  // namespace mc
