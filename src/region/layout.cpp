#include "region/layout.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mc::region {

Expected<DataLayout, std::string> parse_layout(std::string_view text) {
  DataLayout layout;
  bool primary = false;
  bool redis = false;
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
      return Unexpected(fmt::format("cannot read the layout line \"{}\" (ROLE NAME PORT DIR)", line));
    }
    const auto role = line.substr(0, a);
    server.name = std::string(line.substr(a + 1, b - a - 1));
    server.dir = std::string(line.substr(c + 1));
    if (role == "primary" && !primary) {
      layout.primary = std::move(server);
      primary = true;
    } else if (role == "replica") {
      layout.replicas.push_back(std::move(server));
    } else if (role == "redis" && !redis) {
      layout.redis = std::move(server);
      redis = true;
    } else {
      return Unexpected(fmt::format("unexpected layout line \"{}\"", line));
    }
  }
  if (!primary || !redis) return Unexpected(std::string("the layout names no primary or no redis"));
  return layout;
}

}  // namespace mc::region
