#include "web/mustache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_map>

namespace mc::web::mustache {
namespace json = boost::json;

namespace {

constexpr int kMaxPartialDepth = 32;

struct Node {
  enum class Kind { kText, kEscaped, kRaw, kSection, kInverted, kPartial };
  Kind kind = Kind::kText;
  std::string text;               // kText: the text; kPartial: the partial's name
  std::vector<std::string> path;  // a name split at dots; empty for "."
  std::vector<Node> children;     // kSection, kInverted
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string> split_path(std::string_view name) {
  std::vector<std::string> out;
  if (name == ".") return out;
  while (true) {
    const auto dot = name.find('.');
    out.emplace_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return out;
}

int line_of(std::string_view text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

Expected<std::vector<Node>, std::string> parse(const std::string& name, std::string_view text) {
  std::vector<Node> root;
  struct Open {
    std::vector<Node>* into;
    std::string name;
    std::size_t at;
  };
  std::vector<Open> open;
  std::vector<Node>* into = &root;
  auto fail = [&](std::size_t pos, std::string_view what) -> Expected<std::vector<Node>, std::string> {
    return Unexpected(fmt::format("template {} line {}: {}", name, line_of(text, pos), what));
  };

  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find("{{", pos);
    if (start == std::string_view::npos) {
      into->push_back(Node{Node::Kind::kText, std::string(text.substr(pos)), {}, {}});
      break;
    }
    if (start > pos) into->push_back(Node{Node::Kind::kText, std::string(text.substr(pos, start - pos)), {}, {}});
    const bool triple = text.substr(start, 3) == "{{{";
    const std::string_view closer = triple ? "}}}" : "}}";
    const auto body_at = start + (triple ? 3 : 2);
    const auto end = text.find(closer, body_at);
    if (end == std::string_view::npos) return fail(start, "a tag is not closed");
    std::string_view tag = text.substr(body_at, end - body_at);
    pos = end + closer.size();
    if (triple) {
      into->push_back(Node{Node::Kind::kRaw, {}, split_path(trim(tag)), {}});
      continue;
    }
    const char sigil = tag.empty() ? '\0' : tag.front();
    const std::string_view rest = trim(tag.empty() ? tag : tag.substr(1));
    switch (sigil) {
      case '!':
        break;
      case '=':
        return fail(start, "changing the delimiters is not supported");
      case '&':
        into->push_back(Node{Node::Kind::kRaw, {}, split_path(rest), {}});
        break;
      case '>':
        if (rest.empty()) return fail(start, "a partial without a name");
        into->push_back(Node{Node::Kind::kPartial, std::string(rest), {}, {}});
        break;
      case '#':
      case '^': {
        if (rest.empty()) return fail(start, "a section without a name");
        into->push_back(Node{sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted, {}, split_path(rest), {}});
        open.push_back(Open{into, std::string(rest), start});
        into = &into->back().children;
        break;
      }
      case '/': {
        if (open.empty()) return fail(start, fmt::format("{{{{/{}}}}} closes no section", rest));
        if (open.back().name != rest) {
          return fail(start, fmt::format("{{{{/{}}}}} closes {{{{#{}}}}}", rest, open.back().name));
        }
        into = open.back().into;
        open.pop_back();
        break;
      }
      default: {
        const auto name_text = trim(tag);
        if (name_text.empty()) return fail(start, "an empty tag");
        into->push_back(Node{Node::Kind::kEscaped, {}, split_path(name_text), {}});
      }
    }
  }
  if (!open.empty()) return fail(open.back().at, fmt::format("{{{{#{}}}}} is not closed", open.back().name));
  return root;
}

using Layer = Library::Layer;

const json::value* find_in(const Layer& layer, const std::string& key) {
  if (layer.object != nullptr) return layer.object->if_contains(key);
  if (layer.value != nullptr && layer.value->is_object()) return layer.value->get_object().if_contains(key);
  return nullptr;
}

// The value a path names, or nullptr. `found_object` is set when the path names a whole layer given only as
// an object (so that a section over it can push it).
const json::value* lookup(const std::vector<std::string>& path, const std::vector<Layer>& stack) {
  if (path.empty()) return stack.empty() ? nullptr : stack.back().value;
  const json::value* v = nullptr;
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if ((v = find_in(*it, path.front())) != nullptr) break;
  }
  for (std::size_t i = 1; v != nullptr && i < path.size(); ++i) {
    v = v->is_object() ? v->get_object().if_contains(path[i]) : nullptr;
  }
  return v;
}

bool truthy(const json::value* v) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_array()) return !v->get_array().empty();
  return true;
}

void append_value(std::string& out, const json::value& v, bool escape) {
  char digits[32];
  switch (v.kind()) {
    case json::kind::string:
      if (escape) {
        append_escaped(out, v.get_string());
      } else {
        out.append(v.get_string().data(), v.get_string().size());
      }
      break;
    case json::kind::int64: {
      auto r = std::to_chars(digits, digits + sizeof digits, v.get_int64());
      out.append(digits, r.ptr);
      break;
    }
    case json::kind::uint64: {
      auto r = std::to_chars(digits, digits + sizeof digits, v.get_uint64());
      out.append(digits, r.ptr);
      break;
    }
    case json::kind::double_:
      out += fmt::format("{}", v.get_double());
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    default:  // null renders nothing; objects and arrays have no text
      break;
  }
}

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* entity = nullptr;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text.data() + run, i - run);
    out += entity;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

struct Library::Impl {
  std::unordered_map<std::string, std::vector<Node>> templates;

  void render(std::string& out, const std::vector<Node>& nodes, std::vector<Layer>& stack, int depth) const {
    for (const auto& n : nodes) {
      switch (n.kind) {
        case Node::Kind::kText:
          out += n.text;
          break;
        case Node::Kind::kEscaped:
        case Node::Kind::kRaw:
          if (const auto* v = lookup(n.path, stack)) append_value(out, *v, n.kind == Node::Kind::kEscaped);
          break;
        case Node::Kind::kInverted:
          if (!truthy(lookup(n.path, stack))) render(out, n.children, stack, depth);
          break;
        case Node::Kind::kSection:
          section(out, n, stack, depth);
          break;
        case Node::Kind::kPartial:
          if (depth >= kMaxPartialDepth) throw std::runtime_error("mustache: partials nested too deeply: " + n.text);
          if (auto it = templates.find(n.text); it != templates.end()) render(out, it->second, stack, depth + 1);
          break;
      }
    }
  }

  void section(std::string& out, const Node& n, std::vector<Layer>& stack, int depth) const {
    const json::value* v = lookup(n.path, stack);
    if (!truthy(v)) return;
    auto with = [&](const json::value& item) {
      stack.push_back(Layer{item.is_object() ? &item.get_object() : nullptr, &item});
      render(out, n.children, stack, depth);
      stack.pop_back();
    };
    if (v->is_bool()) {
      render(out, n.children, stack, depth);
    } else if (v->is_array()) {
      for (const auto& item : v->get_array()) with(item);
    } else {
      with(*v);
    }
  }
};

Library::Library() : impl_(std::make_unique<Impl>()) {}
Library::~Library() = default;
Library::Library(Library&&) noexcept = default;
Library& Library::operator=(Library&&) noexcept = default;

Expected<bool, std::string> Library::add(const std::string& name, std::string_view text) {
  auto nodes = parse(name, text);
  if (!nodes) return Unexpected(nodes.error());
  impl_->templates[name] = std::move(*nodes);
  return true;
}

bool Library::contains(std::string_view name) const { return impl_->templates.contains(std::string(name)); }

void Library::render_to(std::string& out, std::string_view name, std::span<const Layer> layers) const {
  auto it = impl_->templates.find(std::string(name));
  if (it == impl_->templates.end()) throw std::out_of_range(fmt::format("mustache: no template named {}", name));
  std::vector<Layer> stack(layers.begin(), layers.end());
  stack.reserve(stack.size() + 8);
  impl_->render(out, it->second, stack, 0);
}

std::string Library::render(std::string_view name, std::span<const Layer> layers) const {
  std::string out;
  out.reserve(8192);
  render_to(out, name, layers);
  return out;
}

}  // namespace mc::web::mustache
