// The scheduler's decisions: lane priority, the starvation guard, fairness across keys inside a
// lane, and limits (global, per workflow, per queue key) that make runs wait without blocking others.
#include <gtest/gtest.h>

#include <map>

#include "batchrun/dispatcher/scheduling/scheduler.hpp"

using namespace batchrun::dispatcher;

namespace {

SchedItem item(const std::string& id, int lane, const std::string& key, RunLimits limits = {}) {
  SchedItem s;
  s.run_id = id;
  s.lane = lane;
  s.fair_key = key;
  s.limits = std::move(limits);
  return s;
}

TEST(Scheduler, HigherLaneFirstEvenWhenPushedLater) {
  Scheduler s(4, 0.0);
  ConcurrencyLimits limits(100);
  for (int i = 0; i < 5; ++i) s.push(item("bulk" + std::to_string(i), 3, "a"));
  s.push(item("high", 0, "a"));
  auto first = s.next(limits);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->run_id, "high");
  EXPECT_EQ(s.next(limits)->run_id, "bulk0");
}

TEST(Scheduler, StarvationGuardGivesALowerLaneItsShare) {
  Scheduler s(2, 0.10);
  ConcurrencyLimits limits(0);  // unlimited
  for (int i = 0; i < 1000; ++i) s.push(item("h" + std::to_string(i), 0, "a"));
  for (int i = 0; i < 1000; ++i) s.push(item("l" + std::to_string(i), 1, "a"));
  int low = 0;
  for (int i = 0; i < 500; ++i) {
    auto n = s.next(limits);
    ASSERT_TRUE(n);
    if (n->lane == 1) ++low;
  }
  // 10 % of 500 slots, give or take the credit's rounding.
  EXPECT_GE(low, 45);
  EXPECT_LE(low, 55);
}

TEST(Scheduler, NoShareWithoutGuard) {
  Scheduler s(2, 0.0);
  ConcurrencyLimits limits(0);
  for (int i = 0; i < 10; ++i) s.push(item("h" + std::to_string(i), 0, "a"));
  s.push(item("l", 1, "a"));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.next(limits)->lane, 0);
  EXPECT_EQ(s.next(limits)->run_id, "l");
}

TEST(Scheduler, RoundRobinAcrossKeysInALane) {
  Scheduler s(1, 0.0);
  ConcurrencyLimits limits(0);
  for (int i = 0; i < 100; ++i) s.push(item("big" + std::to_string(i), 0, "tenant-a"));
  for (int i = 0; i < 3; ++i) s.push(item("small" + std::to_string(i), 0, "tenant-b"));
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(s.next(limits)->run_id);
  EXPECT_EQ(order, (std::vector<std::string>{"big0", "small0", "big1", "small1", "big2", "small2"}));
}

TEST(Scheduler, GlobalCapStopsEverythingUntilARelease) {
  Scheduler s(1, 0.0);
  ConcurrencyLimits limits(2);
  for (int i = 0; i < 5; ++i) s.push(item("r" + std::to_string(i), 0, "k" + std::to_string(i)));
  auto a = s.next(limits);
  auto b = s.next(limits);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(s.next(limits));
  limits.release(a->limits);
  s.onReleased(a->limits);
  EXPECT_TRUE(s.next(limits));
  EXPECT_EQ(limits.inflight(), 2);
}

TEST(Scheduler, QueueLimitAppliesPerKeyAndDoesNotBlockOtherKeys) {
  Scheduler s(1, 0.0);
  ConcurrencyLimits limits(100);
  RunLimits ka{"p/wf", 0, "p/q/a", 2};
  RunLimits kb{"p/wf", 0, "p/q/b", 2};
  for (int i = 0; i < 10; ++i) s.push(item("a" + std::to_string(i), 0, "p/a", ka));
  for (int i = 0; i < 10; ++i) s.push(item("b" + std::to_string(i), 0, "p/b", kb));
  std::map<char, int> started;
  while (auto n = s.next(limits)) ++started[n->run_id[0]];
  EXPECT_EQ(started['a'], 2);
  EXPECT_EQ(started['b'], 2);
  EXPECT_EQ(limits.inflightQueue("p/q/a"), 2);
  // One of a's runs finishes: exactly one more of a's may start, none of b's.
  limits.release(ka);
  s.onReleased(ka);
  auto n = s.next(limits);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->run_id[0], 'a');
  EXPECT_FALSE(s.next(limits));
}

TEST(Scheduler, WorkflowLimitSpansKeys) {
  Scheduler s(1, 0.0);
  ConcurrencyLimits limits(100);
  RunLimits l{"p/wf", 3, "", 0};
  for (int i = 0; i < 10; ++i) s.push(item("r" + std::to_string(i), 0, "p/k" + std::to_string(i % 4), l));
  int n = 0;
  while (s.next(limits)) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_EQ(s.waiting(), 7u);
  limits.release(l);
  s.onReleased(l);
  EXPECT_TRUE(s.next(limits));
  EXPECT_FALSE(s.next(limits));
}

TEST(Scheduler, BlockedHigherLaneDoesNotBlockLowerLane) {
  Scheduler s(2, 0.0);
  ConcurrencyLimits limits(100);
  RunLimits tight{"p/wf", 1, "", 0};
  s.push(item("h1", 0, "k", tight));
  s.push(item("h2", 0, "k", tight));
  s.push(item("l1", 1, "k2"));
  EXPECT_EQ(s.next(limits)->run_id, "h1");
  EXPECT_EQ(s.next(limits)->run_id, "l1");  // h2 waits for h1's slot; the low lane proceeds
  EXPECT_FALSE(s.next(limits));
}

TEST(Scheduler, RemoveTakesAWaitingRunOut) {
  Scheduler s(1, 0.0);
  ConcurrencyLimits limits(100);
  s.push(item("a", 0, "k"));
  s.push(item("b", 0, "k"));
  EXPECT_TRUE(s.remove("a"));
  EXPECT_FALSE(s.remove("a"));
  EXPECT_EQ(s.next(limits)->run_id, "b");
  EXPECT_FALSE(s.next(limits));
  s.push(item("c", 0, "k"));
  EXPECT_EQ(s.next(limits)->run_id, "c");
}

TEST(Scheduler, RemoveIfDropsARevokedPartition) {
  Scheduler s(1, 0.0);
  ConcurrencyLimits limits(100);
  for (int i = 0; i < 6; ++i) {
    auto it = item("r" + std::to_string(i), 0, "k");
    it.partition = i % 2;
    s.push(it);
  }
  EXPECT_EQ(s.removeIf([](const SchedItem& x) { return x.partition == 1; }).size(), 3u);
  int n = 0;
  while (auto x = s.next(limits)) {
    EXPECT_EQ(x->partition, 0);
    ++n;
  }
  EXPECT_EQ(n, 3);
}

}  // namespace
