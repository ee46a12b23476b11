#include "http/client_address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

#include "http/detail/text.hpp"

namespace mc::http {
namespace {

std::optional<std::uint32_t> ipv4(std::string_view text) {
  if (text.size() > 15) return std::nullopt;
  const std::string copy(text);
  in_addr a{};
  if (::inet_pton(AF_INET, copy.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

}  // namespace

Expected<TrustedProxies, std::string> TrustedProxies::parse(const std::vector<std::string>& entries) {
  TrustedProxies t;
  for (const auto& raw : entries) {
    const auto entry = detail::trim(raw);
    if (entry.empty()) continue;
    const auto slash = entry.find('/');
    const auto base = ipv4(entry.substr(0, slash));
    if (slash == std::string_view::npos) {
      if (base) {
        t.nets_.push_back(Net{*base, 0xFFFFFFFFU});
      } else if (entry.find(':') != std::string_view::npos) {
        t.exact_.emplace_back(entry);  // an IPv6 address, as the peer's text will be
      } else {
        return Unexpected(fmt::format("trusted proxy \"{}\" is not an address or a network (a.b.c.d[/n])", entry));
      }
      continue;
    }
    int bits = -1;
    const auto len = entry.substr(slash + 1);
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (!base || ec != std::errc() || end != len.data() + len.size() || bits < 0 || bits > 32) {
      return Unexpected(fmt::format("trusted proxy \"{}\" is not an address or a network (a.b.c.d[/n])", entry));
    }
    const std::uint32_t mask = bits == 0 ? 0 : 0xFFFFFFFFU << (32 - bits);
    t.nets_.push_back(Net{*base & mask, mask});
  }
  return t;
}

bool TrustedProxies::contains(std::string_view address) const {
  if (const auto a = ipv4(address)) {
    for (const auto& n : nets_) {
      if ((*a & n.mask) == n.base) return true;
    }
    return false;
  }
  for (const auto& e : exact_) {
    if (e == address) return true;
  }
  return false;
}

std::string client_address(std::string_view peer, std::string_view forwarded, const TrustedProxies& trusted) {
  if (forwarded.empty() || !trusted.contains(peer)) return std::string(peer);
  // From the right: each hop appended what it saw; the first one not a trusted proxy is the client.
  std::string_view rest = forwarded;
  std::string_view last;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto hop = detail::trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (hop.empty()) continue;
    if (!ipv4(hop) && hop.find(':') == std::string_view::npos) return std::string(peer);  // not an address
    last = hop;
    if (!trusted.contains(hop)) return std::string(hop);
  }
  return std::string(last.empty() ? peer : last);
}

}  // namespace mc::http
