#pragma once

// What every session store promises about a cart's version (session.hpp, CartSnapshot), checked the same way
// for each: reads do not change it, every write does, an empty cart has none, and a cart that was emptied and
// filled again with the same lines never gets an old version back (an order took that one).

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "session/session.hpp"

namespace mc::contracts {

// `run` runs a Task to its end (the test's own loop).
template <class Run>
void expect_cart_versions(session::SessionStore& store, session::Session& s, Run run) {
  EXPECT_EQ(run(store.snapshot(s)).version, "") << "an empty cart has no version";
  ASSERT_EQ(run(store.add(s, "P1-BLACK-M", 1, 10, 50)).status, session::AddResult::Status::kAdded);
  const auto first = run(store.snapshot(s));
  ASSERT_EQ(first.lines.size(), 1U);
  EXPECT_FALSE(first.version.empty());
  EXPECT_EQ(run(store.snapshot(s)).version, first.version) << "a read leaves the version alone";
  (void)run(store.cart(s));
  EXPECT_EQ(run(store.snapshot(s)).version, first.version);

  std::set<std::string> seen{first.version};
  ASSERT_EQ(run(store.add(s, "P1-BLACK-M", 1, 10, 50)).status, session::AddResult::Status::kAdded);
  EXPECT_TRUE(seen.insert(run(store.snapshot(s)).version).second) << "an add is a new version";
  ASSERT_TRUE(run(store.set(s, "P2-WHITE-S", 3)));
  EXPECT_TRUE(seen.insert(run(store.snapshot(s)).version).second) << "a set is a new version";
  ASSERT_TRUE(run(store.set(s, "P2-WHITE-S", 0)));
  const auto removed = run(store.snapshot(s));
  EXPECT_EQ(removed.lines.size(), 1U);
  EXPECT_TRUE(seen.insert(removed.version).second) << "removing a line is a new version";

  run(store.clear_cart(s));
  const auto cleared = run(store.snapshot(s));
  EXPECT_TRUE(cleared.lines.empty());
  EXPECT_EQ(cleared.version, "");
  ASSERT_EQ(run(store.add(s, "P1-BLACK-M", 2, 10, 50)).status, session::AddResult::Status::kAdded);
  const auto refilled = run(store.snapshot(s));
  EXPECT_TRUE(seen.insert(refilled.version).second)
      << "the same lines after a clear are another cart: " << refilled.version;
}

}  // namespace mc::contracts
