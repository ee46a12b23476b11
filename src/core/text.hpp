#pragma once

#include <cstddef>
#include <string_view>

namespace mc {

// Characters, not bytes, of UTF-8 text (a Korean name of 100 characters is 300 bytes): the limits shoppers
// are told about count characters.
inline std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace mc
