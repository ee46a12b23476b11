#pragma once

// Who the client is behind a load balancer. The TCP peer of an instance is the load balancer, for every
// shopper; the balancer names the real client in X-Forwarded-For (HAProxy's `option forwardfor` appends the
// address it saw). That header is believed only from the peers configured as trusted
// (`server.trusted_proxies`), and read from the right: the last address that is not itself a trusted proxy is
// the client — what a client wrote into the header itself stands to the left of it and is never believed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc::http {

// IPv4 addresses and networks ("10.92.1.10", "10.92.0.0/16"); IPv6 text matches only itself, exactly.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Each entry an address or a CIDR; an error names the first entry that is neither.
  static Expected<TrustedProxies, std::string> parse(const std::vector<std::string>& entries);

  bool contains(std::string_view address) const;
  bool empty() const { return nets_.empty() && exact_.empty(); }

 private:
  struct Net {
    std::uint32_t base = 0;
    std::uint32_t mask = 0;
  };
  std::vector<Net> nets_;
  std::vector<std::string> exact_;
};

// The client of a request that reached this instance from `peer` with X-Forwarded-For `forwarded` (the
// values of every such field, joined by commas; empty when none).
std::string client_address(std::string_view peer, std::string_view forwarded, const TrustedProxies& trusted);

}  // namespace mc::http
