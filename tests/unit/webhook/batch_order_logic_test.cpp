// The two pieces of logic behind what an endpoint sees (webhook-sender/README.md): SyncBatcher —
// an event is routed only after a view sync requested after it arrived — and BatchHolds — a
// batch.completed is released only when its ticket passed, the partition was read up to the retry
// end seen then, and no run-event chain of its (endpoint, batch) is pending.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "batchrun/webhook/batch_holds.hpp"
#include "batchrun/webhook/sync_batcher.hpp"

using namespace batchrun::webhook;

namespace {

// Syncs the test completes by hand, in order.
struct ManualSync {
  std::vector<std::function<void()>> pending;
  SyncBatcher<int>::RequestSync request() {
    return [this](std::function<void()> done) { pending.push_back(std::move(done)); };
  }
  void completeAll() {
    auto now = std::move(pending);
    pending.clear();
    for (auto& d : now) d();
  }
};

}  // namespace

TEST(SyncBatcher, AnItemWaitsForASyncRequestedAfterItArrived) {
  ManualSync sync;
  int woken = 0;
  SyncBatcher<int> b(sync.request(), 20, [&] { ++woken; });
  b.add(1);
  EXPECT_TRUE(b.take(0).empty());  // asks for a sync covering item 1
  ASSERT_EQ(sync.pending.size(), 1u);
  b.add(2);                        // arrived while that sync is in flight: it does not cover 2
  EXPECT_TRUE(b.take(1).empty());
  EXPECT_EQ(sync.pending.size(), 1u);  // one in flight at a time
  sync.completeAll();
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(b.take(2), std::vector<int>{1});  // 2 waits; the interval since the last request has not passed
  EXPECT_EQ(sync.pending.size(), 0u);
  EXPECT_EQ(b.waiting(), 1u);
  EXPECT_EQ(b.msUntilNextRequest(2), 18);
  EXPECT_TRUE(b.take(20).empty());  // now its own sync is requested
  ASSERT_EQ(sync.pending.size(), 1u);
  sync.completeAll();
  EXPECT_EQ(b.take(21), std::vector<int>{2});
  EXPECT_EQ(b.waiting(), 0u);
}

TEST(SyncBatcher, ManyItemsShareOneSyncAndKeepTheirOrder) {
  ManualSync sync;
  SyncBatcher<int> b(sync.request(), 20);
  for (int i = 0; i < 1000; ++i) b.add(i);
  EXPECT_TRUE(b.take(0).empty());
  sync.completeAll();
  auto out = b.take(1);
  ASSERT_EQ(out.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(out[static_cast<size_t>(i)], i);
}

TEST(SyncBatcher, ASyncThatCompletesAtOnceAndOneThatCompletesAfterDetachAreHarmless) {
  int woken = 0;
  std::function<void()> late;
  bool first = true;
  SyncBatcher<int> b(
      [&](std::function<void()> done) {
        if (first) done(); else late = std::move(done);
        first = false;
      },
      0, [&] { ++woken; });
  b.add(1);
  EXPECT_TRUE(b.take(0).empty());
  EXPECT_EQ(b.take(0), std::vector<int>{1});
  b.add(2);
  EXPECT_TRUE(b.take(1).empty());
  b.detach();
  late();  // after the owner went away: no wake
  EXPECT_EQ(woken, 1);
}

namespace {

// The probe's answers, set by the test.
struct Probe {
  uint64_t passed = 0;
  int64_t retry_end = 0;
  BatchHolds::Passed fn() {
    return [this](uint64_t ticket, int64_t& end) {
      if (ticket > passed) return false;
      end = retry_end;
      return true;
    };
  }
};

}  // namespace

TEST(BatchHolds, ReleasedOnlyAfterTheTicketPassedThePartitionWasReadAndNoRunEventIsPending) {
  BatchHolds h;
  Probe probe;
  h.opened("ep", "b1");  // a retry of one of the batch's run events, already here
  h.hold("ep bc", "ep", "b1", 1);
  EXPECT_TRUE(h.release(probe.fn(), 100).empty());  // ticket 1 not passed
  probe.passed = 1;
  probe.retry_end = 150;  // retry records written before the commits were seen end here
  EXPECT_TRUE(h.release(probe.fn(), 100).empty());  // not read that far yet
  h.opened("ep", "b1");   // read on the way to 150: another of the batch's run events failed
  EXPECT_TRUE(h.release(probe.fn(), 150).empty());  // read, but two chains are pending
  h.closed("ep", "b1");
  EXPECT_TRUE(h.release(probe.fn(), 150).empty());
  h.closed("ep", "b1");
  EXPECT_EQ(h.release(probe.fn(), 150), std::vector<std::string>{"ep bc"});
  EXPECT_EQ(h.size(), 0u);
}

TEST(BatchHolds, TheRetryEndIsFixedWhenTheTicketIsFirstSeenPassed) {
  BatchHolds h;
  Probe probe;
  h.hold("ep bc", "ep", "b1", 1);
  probe.passed = 1;
  probe.retry_end = 10;
  EXPECT_TRUE(h.release(probe.fn(), 5).empty());
  probe.passed = 7;  // later tickets passed and the partition kept growing
  probe.retry_end = 1000;
  EXPECT_EQ(h.release(probe.fn(), 10), std::vector<std::string>{"ep bc"});  // not chasing 1000
}

TEST(BatchHolds, OtherEndpointsAndBatchesDoNotHoldIt) {
  BatchHolds h;
  Probe probe{1, 0};
  h.opened("ep", "b2");
  h.opened("other", "b1");
  h.hold("ep bc1", "ep", "b1", 1);
  h.hold("other bc1", "other", "b1", 1);
  EXPECT_EQ(h.release(probe.fn(), 0), std::vector<std::string>{"ep bc1"});
  EXPECT_TRUE(h.held("other bc1"));
  h.forget("other bc1");  // superseded or finished while held
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.open("ep", "b2"), 1);
}
