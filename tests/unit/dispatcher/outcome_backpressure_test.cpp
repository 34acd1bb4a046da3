// Backpressure on unacknowledged outcomes: the gate closes exactly at the cap, counts one pause
// per closing, and opens again as soon as an acknowledgement brings the count under the cap.
#include <gtest/gtest.h>

#include "batchrun/dispatcher/scheduling/outcome_backpressure.hpp"

using batchrun::dispatcher::OutcomeBackpressure;

TEST(OutcomeBackpressure, ClosesAtTheCapAndOpensWhenAnAckBringsItUnder) {
  OutcomeBackpressure bp(3);
  EXPECT_FALSE(bp.paused());
  EXPECT_FALSE(bp.produced());
  EXPECT_FALSE(bp.produced());
  EXPECT_FALSE(bp.paused());
  EXPECT_TRUE(bp.produced());  // the third closes the gate: one pause
  EXPECT_TRUE(bp.paused());
  EXPECT_EQ(bp.unacked(), 3);
  // Answers of calls already in flight still record their outcomes: past the cap, no new pause.
  EXPECT_FALSE(bp.produced());
  EXPECT_TRUE(bp.paused());
  bp.settled();
  EXPECT_TRUE(bp.paused());  // 3 still wait
  bp.settled();
  EXPECT_FALSE(bp.paused());
  EXPECT_EQ(bp.unacked(), 2);
  EXPECT_TRUE(bp.produced());  // closing again is a second pause
}

TEST(OutcomeBackpressure, SettlingMoreThanProducedNeverGoesNegative) {
  OutcomeBackpressure bp(1);
  bp.settled();
  EXPECT_EQ(bp.unacked(), 0);
  EXPECT_TRUE(bp.produced());
  EXPECT_TRUE(bp.paused());
}

TEST(OutcomeBackpressure, ACapBelowOneMeansOne) {
  OutcomeBackpressure bp(0);
  EXPECT_EQ(bp.cap(), 1);
  EXPECT_TRUE(bp.produced());
}
