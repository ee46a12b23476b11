#include "core/settings.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cctype>
#include <charconv>
#include <sstream>

namespace mc::settings {
namespace {

bool takes(Kind kind, std::initializer_list<Kind> accepted) {
  if (kind == Kind::kText) return true;
  for (const Kind k : accepted) {
    if (k == kind) return true;
  }
  return false;
}

Kind kind_of(const toml::node& node) {
  if (node.is_string()) return Kind::kString;
  if (node.is_integer()) return Kind::kInteger;
  if (node.is_floating_point()) return Kind::kFloat;
  if (node.is_boolean()) return Kind::kBoolean;
  if (node.is_array()) return Kind::kArray;
  return Kind::kText;
}

std::string node_to_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (const auto* arr = node.as_array()) {
    std::string joined;
    for (const auto& item : *arr) {
      if (!joined.empty()) joined += ',';
      joined += node_to_text(item);
    }
    return joined;
  }
  std::ostringstream out;
  if (node.is_boolean()) {
    out << (node.value<bool>().value_or(false) ? "true" : "false");
  } else if (node.is_integer()) {
    out << node.value<long long>().value_or(0);
  } else if (node.is_floating_point()) {
    out << node.value<double>().value_or(0.0);
  } else {
    out << "<" << node.type() << ">";
  }
  return out.str();
}

}  // namespace

std::optional<std::string> parse_integer(const std::string& text, Kind kind, long long lo, long long hi,
                                         long long& out) {
  long long v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (!takes(kind, {Kind::kInteger}) || ec != std::errc() || p != end || v < lo || v > hi) {
    return fmt::format("expected an integer from {} to {}, got \"{}\"", lo, hi, text);
  }
  out = v;
  return std::nullopt;
}

Setter string(std::string& field, bool allow_empty) {
  return [&field, allow_empty](const std::string& text, Kind kind) -> std::optional<std::string> {
    if (!takes(kind, {Kind::kString})) return fmt::format("expected a string, got {}", text);
    if (!allow_empty && text.empty()) return std::string("must not be empty");
    field = text;
    return std::nullopt;
  };
}

Setter boolean(bool& field) {
  return [&field](const std::string& text, Kind kind) -> std::optional<std::string> {
    const bool typed = takes(kind, {Kind::kBoolean});
    if (typed && (text == "true" || text == "1" || text == "yes" || text == "on")) {
      field = true;
    } else if (typed && (text == "false" || text == "0" || text == "no" || text == "off")) {
      field = false;
    } else {
      return fmt::format("expected true or false, got \"{}\"", text);
    }
    return std::nullopt;
  };
}

Setter fraction(double& field) {
  return [&field](const std::string& text, Kind kind) -> std::optional<std::string> {
    if (takes(kind, {Kind::kFloat, Kind::kInteger})) {
      try {
        std::size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size() && v >= 0.0 && v < 1.0) {
          field = v;
          return std::nullopt;
        }
      } catch (const std::exception&) {
      }
    }
    return fmt::format("expected a number in [0, 1), got \"{}\"", text);
  };
}

Setter list(std::vector<std::string>& field) {
  return [&field](const std::string& text, Kind kind) -> std::optional<std::string> {
    if (!takes(kind, {Kind::kArray, Kind::kString})) return fmt::format("expected a list, got {}", text);
    field.clear();
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
      if (!item.empty()) field.push_back(item);
    }
    return std::nullopt;
  };
}

std::optional<std::string> apply(const Table& table, const std::string& key, const std::string& value,
                                 std::string_view origin, Kind kind) {
  auto it = table.find(key);
  if (it == table.end()) return fmt::format("{}: unknown setting ({})", key, origin);
  if (auto err = it->second(value, kind)) return fmt::format("{}: {} ({})", key, *err, origin);
  return std::nullopt;
}

std::optional<std::string> apply_file(const Table& table, const std::string& path) {
  toml::table file;
  try {
    file = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fmt::format("{}:{}: {}", path, e.source().begin.line, e.description());
  }
  for (const auto& [section, node] : file) {
    const auto* inner = node.as_table();
    if (inner == nullptr) return fmt::format("{}: expected a [section] table ({})", section.str(), path);
    for (const auto& [key, value] : *inner) {
      const std::string full = fmt::format("{}.{}", section.str(), key.str());
      if (auto err = apply(table, full, node_to_text(value), path, kind_of(value))) return err;
    }
  }
  return std::nullopt;
}

std::string environment_name(std::string_view prefix, std::string_view key) {
  std::string name(prefix);
  for (const char ch : key) {
    name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

std::optional<std::string> apply_environment(const Table& table, const std::map<std::string, std::string>& env,
                                             std::string_view prefix) {
  for (const auto& [key, _] : table) {
    const std::string name = environment_name(prefix, key);
    auto it = env.find(name);
    if (it == env.end()) continue;
    if (auto err = apply(table, key, it->second, "environment " + name)) return err;
  }
  return std::nullopt;
}

}  // namespace mc::settings
