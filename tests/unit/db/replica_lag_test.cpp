#include "db/replica_lag.hpp"

#include <gtest/gtest.h>

namespace mc::db::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMaxBytes = 16u << 20;

class ReplicaLagTest : public ::testing::Test {
 protected:
  const LagClock::time_point t0_ = LagClock::now();
  WalHistory history_{300ms};
};

TEST_F(ReplicaLagTest, NothingKnownIsNoLag) {
  const ReplicaLag lag = measure_lag(history_, 0, t0_, kMaxBytes);
  EXPECT_EQ(lag.bytes, 0U);
  EXPECT_FALSE(lag.lagging());
}

TEST_F(ReplicaLagTest, LevelOrAheadIsNoLag) {
  history_.record(t0_, 1000);
  EXPECT_EQ(measure_lag(history_, 1000, t0_ + 1s, kMaxBytes).bytes, 0U);
  // A replica asked after the primary may already be ahead of the primary's last sample.
  EXPECT_EQ(measure_lag(history_, 1500, t0_ + 1s, kMaxBytes).bytes, 0U);
  EXPECT_FALSE(measure_lag(history_, 1000, t0_ + 1s, kMaxBytes).lagging());
}

TEST_F(ReplicaLagTest, TooManyBytesBehindLagsAtOnce) {
  history_.record(t0_, 100 + kMaxBytes + 1);
  const ReplicaLag lag = measure_lag(history_, 100, t0_, kMaxBytes);
  EXPECT_EQ(lag.bytes, kMaxBytes + 1);
  EXPECT_TRUE(lag.too_many_bytes);
  EXPECT_FALSE(lag.too_late);  // not yet: the primary's position is not a whole window old
  EXPECT_TRUE(lag.lagging());
  EXPECT_FALSE(measure_lag(history_, 101, t0_, kMaxBytes).lagging());  // exactly the limit is allowed
}

TEST_F(ReplicaLagTest, StillShortOfWhereThePrimaryWasAWindowAgoLags) {
  history_.record(t0_, 1000);
  history_.record(t0_ + 50ms, 2000);  // one write, then the primary is idle
  history_.record(t0_ + 100ms, 2000);
  // The replica stopped at 1000 (paused replay): a few bytes, but for how long?
  EXPECT_FALSE(measure_lag(history_, 1000, t0_ + 200ms, kMaxBytes).lagging());
  EXPECT_FALSE(measure_lag(history_, 1000, t0_ + 349ms, kMaxBytes).lagging());  // 2000 was sampled < 300 ms ago
  const ReplicaLag late = measure_lag(history_, 1000, t0_ + 350ms, kMaxBytes);
  EXPECT_TRUE(late.too_late);
  EXPECT_FALSE(late.too_many_bytes);
  EXPECT_EQ(late.bytes, 1000U);
  // Once it has replayed the write it is back, although the primary has not moved since.
  EXPECT_FALSE(measure_lag(history_, 2000, t0_ + 10s, kMaxBytes).lagging());
}

TEST_F(ReplicaLagTest, SteadyWritesWithAPromptReplicaAreNoLag) {
  Lsn lsn = 0;
  for (int i = 0; i < 1000; ++i) {
    lsn += 4096;
    history_.record(t0_ + i * 50ms, lsn);
    // The replica is one sample behind: fine. Three windows behind: lagging.
    EXPECT_FALSE(measure_lag(history_, lsn - 4096, t0_ + i * 50ms, kMaxBytes).lagging()) << i;
    if (i > 20) {
      EXPECT_TRUE(measure_lag(history_, lsn - 4096 * 19, t0_ + i * 50ms, kMaxBytes).too_late) << i;
    }
  }
  EXPECT_LE(history_.samples(), 10U) << "the history only needs to cover the window";
}

TEST_F(ReplicaLagTest, HistoryStaysShortWhateverTheInterval) {
  WalHistory long_window(1h);
  Lsn lsn = 0;
  for (int i = 0; i < 100'000; ++i) long_window.record(t0_ + i * 10ms, lsn += 100);  // 1000 s of 10 ms checks
  EXPECT_LE(long_window.samples(), static_cast<std::size_t>(WalHistory::kResolution) + 2);
  EXPECT_EQ(long_window.latest(), lsn);
}

TEST_F(ReplicaLagTest, APrimaryThatGoesBackwardsStartsTheHistoryOver) {
  history_.record(t0_, 5000);
  history_.record(t0_ + 1s, 3000);  // failover: the new primary's position is smaller
  EXPECT_EQ(history_.latest(), Lsn{3000});
  EXPECT_FALSE(measure_lag(history_, 3000, t0_ + 1s, kMaxBytes).lagging());
  EXPECT_FALSE(measure_lag(history_, 2500, t0_ + 1100ms, kMaxBytes).too_late);
  EXPECT_TRUE(measure_lag(history_, 2500, t0_ + 1300ms, kMaxBytes).too_late);
}

}  // namespace
}  // namespace mc::db::detail
