// FollowerBarriers: a catch-up request opens once every partition was read to its end offset of
// request time, and not before.
#include <gtest/gtest.h>

#include "batchrun/common/kafka/follower_barrier.hpp"

using namespace batchrun;

namespace {

const FollowerBarriers::Partition kP0{"workflows", 0};
const FollowerBarriers::Partition kP1{"workflows", 1};

TEST(FollowerBarriers, OpensOnlyWhenEveryPartitionReachedItsEnd) {
  FollowerBarriers b;
  int fired = 0;
  b.add({{kP0, 5}, {kP1, 2}}, {[&] { ++fired; }, [&] { ++fired; }});
  EXPECT_EQ(fired, 0);
  b.advance(kP0.first, kP0.second, 5);
  EXPECT_EQ(fired, 0);  // partition 1 still behind
  b.advance(kP1.first, kP1.second, 1);
  EXPECT_EQ(fired, 0);
  b.advance(kP1.first, kP1.second, 2);
  EXPECT_EQ(fired, 2);  // both callbacks of the request, once
  b.advance(kP1.first, kP1.second, 9);
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(b.open(), 0u);
}

TEST(FollowerBarriers, AlreadyReadOrEmptyPartitionsOpenAtOnce) {
  FollowerBarriers b;
  b.advance(kP0.first, kP0.second, 7);
  int fired = 0;
  b.add({{kP0, 7}, {kP1, 0}}, {[&] { ++fired; }});
  EXPECT_EQ(fired, 1);
}

TEST(FollowerBarriers, PositionsNeverMoveBackAndLaterRequestsWaitLonger) {
  FollowerBarriers b;
  b.advance(kP0.first, kP0.second, 4);
  b.advance(kP0.first, kP0.second, 2);  // an older position reported late
  int first = 0, second = 0;
  b.add({{kP0, 4}}, {[&] { ++first; }});
  EXPECT_EQ(first, 1);
  b.add({{kP0, 6}}, {[&] { ++second; }});
  b.advance(kP0.first, kP0.second, 5);
  EXPECT_EQ(second, 0);
  b.advance(kP0.first, kP0.second, 6);  // e.g. the offset a partition-EOF reports after compacted gaps
  EXPECT_EQ(second, 1);
}

TEST(FollowerBarriers, ACallbackMayAskAgain) {
  FollowerBarriers b;
  int inner = 0;
  b.add({{kP0, 1}}, {[&] { b.add({{kP0, 3}}, {[&] { ++inner; }}); }});
  b.advance(kP0.first, kP0.second, 1);
  EXPECT_EQ(inner, 0);
  EXPECT_EQ(b.open(), 1u);
  b.advance(kP0.first, kP0.second, 3);
  EXPECT_EQ(inner, 1);
}

}  // namespace
