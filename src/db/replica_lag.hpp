#pragma once

// Internal to src/db: the rule that says whether a replica is too far behind the primary, as plain values so
// that unit tests can call it directly. The cluster's background check feeds it (cluster.cpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "db/database.hpp"

namespace mc::db::detail {

using LagClock = std::chrono::steady_clock;

// The primary's WAL position over the last `window` (DbConfig::max_replica_lag), as the check samples it.
// A sample (t, lsn) means "at time t the primary had written at least up to lsn": the check stamps it with the
// time its answer arrived, so it never claims more than the primary had. Short by construction: a sample is
// kept only when the position moved and the previous one is at least window/kResolution old, and samples
// that a newer one (also older than the window) makes irrelevant are dropped.
class WalHistory {
 public:
  static constexpr int kResolution = 32;

  explicit WalHistory(std::chrono::milliseconds window);

  void record(LagClock::time_point at, Lsn lsn);

  // The newest position sampled (nullopt: none yet).
  std::optional<Lsn> latest() const { return latest_; }

  // Where the primary was at least `window` before `now`: the newest sample that old (nullopt: none yet).
  std::optional<Lsn> position_window_before(LagClock::time_point now) const;

  std::size_t samples() const { return samples_.size(); }

 private:
  struct Sample {
    LagClock::time_point at;
    Lsn lsn;
  };

  std::chrono::milliseconds window_;
  LagClock::duration spacing_;
  std::deque<Sample> samples_;
  std::optional<Lsn> latest_;
};

struct ReplicaLag {
  std::uint64_t bytes = 0;  // the newest primary position minus the replica's replay position; 0 when level or ahead
  bool too_many_bytes = false;  // bytes > max_replica_lag_bytes
  bool too_late = false;        // still short of where the primary was max_replica_lag ago
  bool lagging() const { return too_many_bytes || too_late; }
};

// How far a replica that has replayed up to `replay` is behind the primary `history` describes, judged at `now`.
ReplicaLag measure_lag(const WalHistory& history, Lsn replay, LagClock::time_point now, std::uint64_t max_bytes);

}  // namespace mc::db::detail
