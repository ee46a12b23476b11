#include "region/layout.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mc::region {

Expected<DataLayout, std::string> parse_layout(std::string_view text) {
  DataLayout layout;
  bool primary = false;
  bool monitor = false;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    // ROLE NAME PORT DIR; the directory is the rest of the line (it may hold spaces).
    const auto a = line.find(' ');
    const auto b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    const auto c = b == std::string_view::npos ? b : line.find(' ', b + 1);
    DataServer server;
    const auto port = c == std::string_view::npos ? std::string_view() : line.substr(b + 1, c - b - 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), server.port);
    if (c == std::string_view::npos || c + 1 == line.size() || ec != std::errc() || end != port.data() + port.size() ||
        server.port <= 0) {
      return Unexpected(fmt::format("cannot read the layout line \"{}\" (KIND NAME PORT DIR)", line));
    }
    const auto role = line.substr(0, a);
    server.name = std::string(line.substr(a + 1, b - a - 1));
    server.dir = std::string(line.substr(c + 1));
    if (role == "primary" && !primary) {
      layout.primary = std::move(server);
      primary = true;
    } else if (role == "replica") {
      layout.replicas.push_back(std::move(server));
    } else if (role == "redis") {
      layout.redis_nodes.push_back(std::move(server));
    } else if (role == "monitor" && !monitor) {
      layout.monitor = std::move(server);
      monitor = true;
    } else if (role == "node") {
      layout.nodes.push_back(std::move(server));
    } else if (role == "sentinel") {
      layout.sentinels.push_back(std::move(server));
    } else {
      return Unexpected(fmt::format("unexpected layout line \"{}\"", line));
    }
  }
  if (layout.redis_nodes.empty()) return Unexpected(std::string("the layout names no redis"));
  layout.redis = layout.redis_nodes.front();
  layout.replicated = monitor;
  if (layout.replicated) {
    if (primary) return Unexpected(std::string("the layout names a monitor and a single primary"));
    if (layout.nodes.size() < 2 || layout.sentinels.empty()) {
      return Unexpected(std::string("a replicated layout needs two nodes, a monitor and Sentinels"));
    }
    return layout;
  }
  if (!primary || layout.redis_nodes.size() != 1 || !layout.nodes.empty() || !layout.sentinels.empty()) {
    return Unexpected(std::string("the layout names no primary, or more than one redis without a monitor"));
  }
  layout.redis_nodes.clear();
  return layout;
}

}  // namespace mc::region
