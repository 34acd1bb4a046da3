// RunView retention: runs older than the run retention are forgotten a batch at a time, in steps
// that resume where the last one stopped, and are not indexed again when read later.
#include <gtest/gtest.h>

#include "batchrun/ingest/read/run_view.hpp"
#include "run_view_records.hpp"

using namespace batchrun;
using namespace batchrun::ingest;
using namespace batchrun::ingest::testing;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // laneRun(n) is created at kT0 + n

void put(RunView& view, const batchrun::Run& r) { ASSERT_TRUE(view.apply(encodeRun(r), 0)) << r.run_id; }

// Batch k holds runs 10k+1 .. 10k+size, created at kT0 + 10k + i.
void putBatch(RunView& view, int k, int size) {
  for (int i = 1; i <= size; ++i) put(view, laneRun("p", 10 * k + i, batchId(k), size));
}

}  // namespace

TEST(RunViewRetention, ForgetsABatchWithAllItsRunsOnceItsFirstRunIsPastTheCutoff) {
  RunView view;
  putBatch(view, 1, 3);  // runs 11..13
  putBatch(view, 2, 2);  // runs 21..22
  put(view, laneRun("p", 30));  // no batch
  put(view, laneRun("p", 40));
  ASSERT_EQ(view.size(), 7u);

  // Cutoff between run 11 and 12: batch 1 goes whole (12 and 13 too), nothing else.
  EXPECT_EQ(view.forgetExpired(kT0 + 12, 1000), 3u);
  EXPECT_FALSE(view.batch("p", batchId(1)));
  EXPECT_FALSE(view.summary("p", runId(13)));
  ASSERT_TRUE(view.batch("p", batchId(2)));
  EXPECT_EQ(view.batch("p", batchId(2))->total, 2);
  EXPECT_EQ(view.size(), 4u);

  // Runs without a batch go one by one.
  EXPECT_EQ(view.forgetExpired(kT0 + 35, 1000), 3u);
  EXPECT_FALSE(view.summary("p", runId(30)));
  EXPECT_TRUE(view.summary("p", runId(40)));
  EXPECT_EQ(view.size(), 1u);
}

TEST(RunViewRetention, ARunCreatedBeforeTheCutoffIsNotIndexedWhenReadLater) {
  RunView view;
  view.forgetExpired(kT0 + 100, 10);
  put(view, laneRun("p", 5, batchId(1), 1));                // a state or lane record read back late
  put(view, advanced(laneRun("p", 6), RunStatus::kRunning));
  EXPECT_EQ(view.size(), 0u);
  EXPECT_FALSE(view.batch("p", batchId(1)));
  put(view, laneRun("p", 101));
  EXPECT_TRUE(view.summary("p", runId(101)));
}

TEST(RunViewRetention, StepsResumeWhereTheLastStoppedAndWrapAround) {
  RunView view;
  for (int n = 1; n <= 10; ++n) put(view, laneRun("p", n));
  // Three runs per step: the first step sees 1..3, forgets 1 and 2 (created before kT0 + 3).
  EXPECT_EQ(view.forgetExpired(kT0 + 3, 3), 2u);
  // The cutoff moves on; the next step starts after run 3 and sees 4..6.
  EXPECT_EQ(view.forgetExpired(kT0 + 9, 3), 3u);
  EXPECT_TRUE(view.summary("p", runId(3)));
  EXPECT_EQ(view.forgetExpired(kT0 + 9, 3), 2u);  // 7, 8 (9 is not before the cutoff)
  EXPECT_EQ(view.forgetExpired(kT0 + 9, 3), 0u);  // 10, and the end
  EXPECT_EQ(view.forgetExpired(kT0 + 9, 3), 1u);  // from the beginning again: 3 (9 and 10 stay)
  EXPECT_EQ(view.size(), 2u);
}

TEST(RunViewRetention, AForgottenBatchSlotIsReusedWithoutMixingBatches) {
  RunView view;
  putBatch(view, 1, 2);
  putBatch(view, 2, 2);
  view.forgetExpired(kT0 + 15, 1000);  // batch 1
  putBatch(view, 3, 4);                // takes batch 1's slot
  auto t3 = view.batch("p", batchId(3));
  ASSERT_TRUE(t3);
  EXPECT_EQ(t3->total, 4);
  EXPECT_EQ(t3->counts[static_cast<int>(RunStatus::kQueued)], 4);
  EXPECT_FALSE(view.batch("p", batchId(1)));
  RunQuery q;
  q.batch_id = batchId(3);
  auto page = view.list("p", q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->runs.size(), 4u);
  EXPECT_EQ(page->runs.front().run_id, runId(31));
  EXPECT_EQ(view.batch("p", batchId(2))->total, 2);
}

// A run two batches requested (two ingest instances, one per-item key): forgetting its owner's
// batch takes it out of the other batch too, and a batch left with no runs goes as well.
TEST(RunViewRetention, ARunCountedByTwoBatchesLeavesBoth) {
  RunView view;
  auto shared = laneRun("p", 1, batchId(1), 1);
  put(view, shared);
  auto again = shared;
  again.batch_id = batchId(2);
  put(view, again);
  put(view, laneRun("p", 50, batchId(3), 2));
  auto also = laneRun("p", 50, batchId(3), 2);  // batch 3's second run is counted by batch 4 too
  also.run_id = runId(51);
  put(view, also);
  auto alias4 = also;
  alias4.batch_id = batchId(4);
  alias4.batch_size = 1;
  put(view, alias4);
  ASSERT_EQ(view.batch("p", batchId(2))->total, 1);
  ASSERT_EQ(view.batch("p", batchId(4))->total, 1);

  EXPECT_EQ(view.forgetExpired(kT0 + 10, 1000), 1u);
  EXPECT_FALSE(view.batch("p", batchId(1)));
  EXPECT_FALSE(view.batch("p", batchId(2))) << "a batch of only the forgotten run goes with it";
  ASSERT_TRUE(view.batch("p", batchId(4)));
  EXPECT_EQ(view.forgetExpired(kT0 + 100, 1000), 2u);
  EXPECT_FALSE(view.batch("p", batchId(3)));
  EXPECT_FALSE(view.batch("p", batchId(4)));
  EXPECT_EQ(view.size(), 0u);
  // Slots come back clean: a new batch in one of them counts only its own runs.
  putBatch(view, 20, 1);
  EXPECT_EQ(view.batch("p", batchId(20))->total, 1);
  EXPECT_EQ(view.batch("p", batchId(20))->counts[static_cast<int>(RunStatus::kQueued)], 1);
}

TEST(RunViewRetention, TheWritePathForgetsAsRunsArriveOnceARetentionIsSet) {
  RunView view;
  ManualClock clock(kT0 + 1'000'000);
  std::vector<batchrun::Run> old;
  for (int n = 1; n <= 3000; ++n) old.push_back(laneRun("p", n, batchId(n / 1000), 1000));
  for (auto& r : old) put(view, r);
  ASSERT_EQ(view.size(), 3000u);
  // From now on runs created before kT0 + 999'000 are past the retention: not indexed any more,
  // and those held are forgotten by the steps taken as new runs are indexed.
  view.setRetention(1000, clock);
  put(view, laneRun("p", 3001));
  EXPECT_EQ(view.size(), 3000u);
  std::vector<batchrun::Run> fresh;
  for (int n = 0; n < 4096; ++n) {
    auto r = laneRun("p", 1'000'000 + n, batchId(99), 4096);
    fresh.push_back(r);
  }
  std::vector<int32_t> parts(fresh.size(), 0);
  std::vector<int64_t> offsets(fresh.size(), 1);
  view.noteAccepted(fresh, parts, offsets);
  // That step looked at 2,048 runs (1..2048): batches 0-2 went whole, run 3000 (batch 3) is the
  // next step's.
  EXPECT_EQ(view.size(), 4096u + 1u);
  EXPECT_FALSE(view.batch("p", batchId(1)));
  EXPECT_FALSE(view.batch("p", batchId(2)));
  EXPECT_TRUE(view.batch("p", batchId(3)));
  EXPECT_EQ(view.batch("p", batchId(99))->total, 4096);
}

TEST(RunViewRetention, ARequestHeldAsOneBlockIsForgottenWithItsBatch) {
  RunView view;
  // Two requests with consecutive ids (the view holds each as one block), the first created long ago.
  auto accept = [&](int from, int batch, int64_t created_at) {
    std::vector<batchrun::Run> runs;
    for (int n = from; n < from + 100; ++n) {
      auto r = laneRun("p", n, batchId(batch), 100);
      r.created_at = created_at;
      runs.push_back(r);
    }
    view.noteAccepted(runs, std::vector<int32_t>(runs.size(), 0), std::vector<int64_t>(runs.size(), 1));
    return runs;
  };
  auto old = accept(1, 1, kT0);
  accept(1001, 2, kT0 + 5000);
  ASSERT_TRUE(view.apply(encodeRun(advanced(old[7], RunStatus::kRunning)), 0));  // one moved out of its block
  ASSERT_EQ(view.size(), 200u);
  EXPECT_EQ(view.forgetExpired(kT0 + 1000, 1'000'000), 100u);
  EXPECT_EQ(view.size(), 100u);
  EXPECT_FALSE(view.batch("p", batchId(1)));
  EXPECT_FALSE(view.summary("p", old[3].run_id));
  EXPECT_FALSE(view.summary("p", old[7].run_id));
  EXPECT_EQ(view.batch("p", batchId(2))->total, 100);
  // A later state of a forgotten run is past the cutoff too: not indexed again.
  ASSERT_TRUE(view.apply(encodeRun(advanced(old[3], RunStatus::kRunning)), 0));
  EXPECT_EQ(view.size(), 100u);
}
