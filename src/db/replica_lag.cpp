#include "db/replica_lag.hpp"

#include <algorithm>

namespace mc::db::detail {

WalHistory::WalHistory(std::chrono::milliseconds window)
    : window_(std::max(window, std::chrono::milliseconds{0})), spacing_(window_ / kResolution) {}

void WalHistory::record(LagClock::time_point at, Lsn lsn) {
  // WAL positions only grow; a smaller one means another server answers as the primary now (a failover).
  // What the old one had written says nothing about the new one: start over.
  if (latest_ && lsn < *latest_) samples_.clear();
  latest_ = lsn;
  // An unchanged position adds nothing: the older sample already says "at least this much, since then".
  if (samples_.empty() || (lsn != samples_.back().lsn && at - samples_.back().at >= spacing_)) {
    samples_.push_back(Sample{at, lsn});
  }
  // Only the newest sample older than the window is ever asked for; the ones before it can go.
  while (samples_.size() >= 2 && samples_[1].at <= at - window_) samples_.pop_front();
}

std::optional<Lsn> WalHistory::position_window_before(LagClock::time_point now) const {
  const auto cutoff = now - window_;
  for (auto it = samples_.rbegin(); it != samples_.rend(); ++it) {
    if (it->at <= cutoff) return it->lsn;
  }
  return std::nullopt;
}

ReplicaLag measure_lag(const WalHistory& history, Lsn replay, LagClock::time_point now, std::uint64_t max_bytes) {
  ReplicaLag lag;
  if (const auto latest = history.latest(); latest && *latest > replay) lag.bytes = *latest - replay;
  lag.too_many_bytes = lag.bytes > max_bytes;
  // Time lag without timestamps: the replica has not yet replayed what the primary had written a whole window
  // ago. It also works when the primary is idle (then the replica catches up and the position stands still).
  if (const auto then = history.position_window_before(now); then && replay < *then) lag.too_late = true;
  return lag;
}

}  // namespace mc::db::detail
