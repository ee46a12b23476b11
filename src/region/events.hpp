#pragma once

// The region's event log: what happened, stamped with the time. State: the last few lines (the live table
// shows them) and whether there is a live table at all (when not, each event is printed as it happens).

#include <cstddef>
#include <deque>
#include <string>

namespace mc::region {

class EventLog {
 public:
  explicit EventLog(bool tty) : tty_(tty) {}

  // "HH:MM:SS text": kept for the live table, printed as "region: HH:MM:SS text" when there is none.
  void event(const std::string& text);
  // A start-up step, "==> text", printed at once.
  static void step(const std::string& text);

  const std::deque<std::string>& recent() const { return events_; }
  bool tty() const { return tty_; }

 private:
  static constexpr std::size_t kKept = 8;
  bool tty_;
  std::deque<std::string> events_;
};

}  // namespace mc::region
