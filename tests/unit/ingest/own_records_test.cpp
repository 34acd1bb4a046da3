// The read view's own-record bookkeeping: OwnRecords (which lane records this instance produced,
// found by the run id that starts each record) and RunView's whole-request noteAccepted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/ingest/own_records.hpp"
#include "batchrun/ingest/run_view.hpp"
#include "run_view_records.hpp"

using namespace batchrun;
using namespace batchrun::ingest;
using namespace batchrun::ingest::testing;

TEST(OwnRecords, RunIdIsReadFromTheStartOfALaneRecord) {
  const auto r = laneRun("p", 7);
  Uuid got{}, want{};
  ASSERT_TRUE(parseUuid(r.run_id, want));
  ASSERT_TRUE(OwnRecords::runIdOf(encodeRun(r), got));
  EXPECT_EQ(got, want);
  for (std::string bad : {std::string(), std::string("{}"), std::string(R"({"run_id":"abc"})"),
                          R"({"batch_id":")" + r.run_id + R"(","run_id":")" + r.run_id + "\"}",
                          R"({"run_id":")" + r.run_id + "x\"}", R"({"run_id": ")" + r.run_id + "\"}"}) {
    EXPECT_FALSE(OwnRecords::runIdOf(bad, got)) << bad;
  }
}

TEST(OwnRecords, ARequestsRecordsAreRecognisedUntilAllAreReadBack) {
  OwnRecords own;
  std::vector<batchrun::Run> runs = {laneRun("p", 1), laneRun("p", 2), laneRun("p", 3)};  // consecutive ids
  own.expect(runs, 0);
  EXPECT_EQ(own.size(), 3u);
  EXPECT_FALSE(own.take(encodeRun(laneRun("p", 4)), 1)) << "another instance's record, next to the range";
  EXPECT_FALSE(own.take(encodeRun(laneRun("p", 0)), 1)) << "and just before it";
  EXPECT_TRUE(own.take(encodeRun(runs[2]), 1));
  EXPECT_TRUE(own.take(encodeRun(runs[0]), 1));
  EXPECT_EQ(own.size(), 1u);
  EXPECT_TRUE(own.take(encodeRun(runs[1]), 1));
  EXPECT_EQ(own.size(), 0u);
  EXPECT_FALSE(own.take(encodeRun(runs[1]), 1)) << "forgotten once every record was read back";
}

TEST(OwnRecords, IdsThatAreNotConsecutiveAreHeldOneByOne) {
  OwnRecords own;
  // As a request with per-item idempotency keys makes them (UUIDv5), interleaved with another's.
  own.expect({laneRun("p", 10), laneRun("p", 20), laneRun("p", 11)}, 0);
  own.expect({laneRun("p", 15), laneRun("p", 16)}, 0);
  EXPECT_EQ(own.size(), 5u);
  for (int n : {10, 11, 15, 16, 20}) EXPECT_TRUE(own.take(encodeRun(laneRun("p", n)), 1)) << n;
  for (int n : {12, 13, 14, 17, 19, 21}) EXPECT_FALSE(own.take(encodeRun(laneRun("p", n)), 1)) << n;
  EXPECT_EQ(own.size(), 0u);
}

TEST(OwnRecords, TheSameIdsExpectedAgainReplaceTheirRange) {
  OwnRecords own;
  own.expect({laneRun("p", 1), laneRun("p", 2), laneRun("p", 3)}, 0);
  own.expect({laneRun("p", 2), laneRun("p", 3), laneRun("p", 4)}, 0);  // a retry overlapping it
  EXPECT_EQ(own.size(), 3u);
  EXPECT_FALSE(own.take(encodeRun(laneRun("p", 1)), 1));
  for (int n : {2, 3, 4}) EXPECT_TRUE(own.take(encodeRun(laneRun("p", n)), 1)) << n;
  EXPECT_EQ(own.size(), 0u);
}

TEST(OwnRecords, EntriesNeverReadBackAreForgottenAfterTwoGenerations) {
  OwnRecords own(1000);
  own.expect({laneRun("p", 1)}, 0);
  own.expect({laneRun("p", 2)}, 1500);  // a second generation: run 1 is in the previous one
  EXPECT_EQ(own.size(), 2u);
  own.expect({laneRun("p", 3)}, 3000);  // a third: run 1 is dropped, run 2 is kept one more
  EXPECT_EQ(own.size(), 2u);
  EXPECT_FALSE(own.take(encodeRun(laneRun("p", 1)), 3000));
  EXPECT_TRUE(own.take(encodeRun(laneRun("p", 2)), 3000));
  EXPECT_TRUE(own.take(encodeRun(laneRun("p", 3)), 3000));
  EXPECT_EQ(own.size(), 0u);
}

TEST(RunViewNoteAccepted, AWholeRequestIsIndexedAndUnacknowledgedRecordsAreLeftOut) {
  RunView view;
  const std::string b = batchId(1);
  std::vector<batchrun::Run> runs = {laneRun("p", 1, b, 3), laneRun("p", 2, b, 3), laneRun("p", 3, b, 3)};
  auto kafka = std::make_unique<FakeRecords>();
  kafka->put({"t.normal", 4, 7}, encodeRun(runs[0]));
  kafka->put({"t.normal", 2, 9}, encodeRun(runs[2]));
  view.setReader(std::move(kafka), "t.");
  view.expectOwn(runs);
  view.noteAccepted(runs, {4, -1, 2}, {7, -1, 9});  // the second was not acknowledged
  EXPECT_EQ(view.size(), 2u);
  ASSERT_TRUE(getRun(view, "p", runs[0].run_id));
  EXPECT_EQ(getRun(view, "p", runs[0].run_id)->partition, 4);
  EXPECT_EQ(getRun(view, "p", runs[2].run_id)->input, runs[2].input);
  EXPECT_FALSE(getRun(view, "p", runs[1].run_id));
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kQueued)], 2);
  EXPECT_EQ(t->total, 3);
}

TEST(RunViewNoteAccepted, RunsArrivingOutOfIdOrderAreListedInIdOrder) {
  RunView view;
  const std::string b = batchId(2);
  std::vector<batchrun::Run> runs;
  for (int n : {5, 9, 1, 7, 3}) runs.push_back(laneRun("p", n, b, 5));
  view.noteAccepted(runs, std::vector<int32_t>(runs.size(), 0), {1, 2, 3, 4, 5});
  RunQuery all;
  all.limit = 10;
  for (const RunQuery& q : {all, [&] { RunQuery byBatch = all; byBatch.batch_id = b; return byBatch; }()}) {
    auto page = listRuns(view, "p", q);
    std::vector<std::string> ids;
    for (const auto& r : page.runs) ids.push_back(r.run_id);
    EXPECT_EQ(ids, (std::vector<std::string>{runId(1), runId(3), runId(5), runId(7), runId(9)})) << q.batch_id;
  }
}

TEST(OwnRecords, AFullGenerationMakesWayForTheNextOneEarly) {
  OwnRecords own(60'000, 2);
  own.expect({laneRun("p", 1), laneRun("p", 2)}, 0);
  own.expect({laneRun("p", 3)}, 1);  // the first generation is full: it becomes the previous one
  own.expect({laneRun("p", 4), laneRun("p", 5)}, 2);
  own.expect({laneRun("p", 6)}, 3);  // and is dropped when the second fills up
  EXPECT_FALSE(own.take(encodeRun(laneRun("p", 1)), 4));
  EXPECT_TRUE(own.take(encodeRun(laneRun("p", 3)), 4));
  EXPECT_TRUE(own.take(encodeRun(laneRun("p", 6)), 4));
  EXPECT_LE(own.size(), 4u);
}
