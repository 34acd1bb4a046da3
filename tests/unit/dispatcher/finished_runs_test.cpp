// FinishedRuns: a live dispatcher's memory of ended runs is bounded by the run retention.
#include <gtest/gtest.h>

#include "batchrun/dispatcher/state/finished_runs.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

TEST(FinishedRuns, RemembersARunForAtLeastHalfTheWindowAndForgetsItAfterTheWindow) {
  FinishedRuns f(1000);
  f.tick(0);
  f.add(3, "r1", {RunStatus::kFailed, 7});
  ASSERT_NE(f.find(3, "r1"), nullptr);
  EXPECT_EQ(f.find(3, "r1")->status, RunStatus::kFailed);
  EXPECT_EQ(f.find(3, "r1")->batch_hash, 7u);
  EXPECT_EQ(f.find(4, "r1"), nullptr);  // per partition
  f.tick(499);
  EXPECT_NE(f.find(3, "r1"), nullptr);
  f.tick(500);  // first rotation: still remembered
  EXPECT_NE(f.find(3, "r1"), nullptr);
  f.add(3, "r2", {RunStatus::kCompleted, 0});
  f.tick(1000);  // second rotation: r1 is gone, r2 (ended after the first) stays
  EXPECT_EQ(f.find(3, "r1"), nullptr);
  EXPECT_NE(f.find(3, "r2"), nullptr);
  EXPECT_EQ(f.size(), 1u);
}

TEST(FinishedRuns, ARunEndedAgainMovesToTheCurrentGenerationAndPartitionsDropWhole) {
  FinishedRuns f(1000);
  f.tick(0);
  f.add(1, "r", {RunStatus::kCompleted, 0});
  f.tick(500);
  f.add(1, "r", {RunStatus::kCancelled, 0});  // e.g. seen again in a rebuilt partition
  EXPECT_EQ(f.size(), 1u);
  f.tick(1000);
  ASSERT_NE(f.find(1, "r"), nullptr);
  EXPECT_EQ(f.find(1, "r")->status, RunStatus::kCancelled);
  f.add(2, "s", {RunStatus::kCompleted, 0});
  f.dropPartition(1);
  EXPECT_EQ(f.find(1, "r"), nullptr);
  EXPECT_NE(f.find(2, "s"), nullptr);
}
