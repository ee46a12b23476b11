#include "region/events.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace mc::region {

void EventLog::event(const std::string& text) {
  std::time_t t = std::time(nullptr);
  char stamp[16];
  std::strftime(stamp, sizeof(stamp), "%H:%M:%S", std::localtime(&t));
  const std::string line = fmt::format("{} {}", stamp, text);
  events_.push_back(line);
  if (events_.size() > kKept) events_.pop_front();
  if (!tty_) {
    std::printf("region: %s\n", line.c_str());
    std::fflush(stdout);
  }
}

void EventLog::step(const std::string& text) {
  std::printf("==> %s\n", text.c_str());
  std::fflush(stdout);
}

}  // namespace mc::region
