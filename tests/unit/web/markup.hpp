#pragma once

// A tiny well-formedness check for the markup the web layer produces (HTML from the templates, SVG from
// svg.cpp): every non-void element closed in order, every attribute quoted. Not a parser for arbitrary HTML.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace mc::web::test {

inline std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Empty when balanced, else a description of the first problem.
inline std::string markup_problem(std::string_view text, bool html) {
  static constexpr std::array<std::string_view, 14> kVoid{"area",  "base", "br",   "col",   "embed",  "hr",    "img",
                                                          "input", "link", "meta", "param", "source", "track", "wbr"};
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = text.find('<', i)) != std::string_view::npos) {
    if (text.substr(i, 4) == "<!--") {
      const auto end = text.find("-->", i);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    if (text.substr(i, 2) == "<!") {  // doctype
      i = text.find('>', i);
      if (i == std::string_view::npos) return "unterminated doctype";
      continue;
    }
    const bool closing = text.substr(i, 2) == "</";
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '-')) ++j;
    const std::string name =
        html ? lower(text.substr(name_start, j - name_start)) : std::string(text.substr(name_start, j - name_start));
    if (name.empty()) return "a '<' that starts no tag at offset " + std::to_string(i);
    // Attributes: name, optionally ="..." or ='...'.
    bool self_closing = false;
    for (;;) {
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j >= text.size()) return "unterminated tag <" + name;
      if (text[j] == '>') break;
      if (text.substr(j, 2) == "/>") {
        self_closing = true;
        ++j;
        break;
      }
      const std::size_t attr_start = j;
      while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != '=' &&
             text[j] != '>' && text[j] != '/')
        ++j;
      if (j == attr_start) return "bad attribute in <" + name;
      if (j < text.size() && text[j] == '=') {
        ++j;
        if (j >= text.size() || (text[j] != '"' && text[j] != '\'')) return "unquoted attribute in <" + name;
        const char quote = text[j];
        const auto end = text.find(quote, j + 1);
        if (end == std::string_view::npos) return "unterminated attribute in <" + name;
        j = end + 1;
      }
    }
    i = j + 1;
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      }
      open.pop_back();
    } else if (!self_closing && !(html && std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end())) {
      open.push_back(name);
    }
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return {};
}

}  // namespace mc::web::test
