// A request's runs.index record (run_index.hpp): written once its lane records are acknowledged,
// read by every other instance's view; and RunView's whole-request noteAccepted, which indexes the
// writing instance's own runs before the record is written.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/ingest/read/run_index.hpp"
#include "batchrun/ingest/read/run_view.hpp"
#include "run_view_records.hpp"

using namespace batchrun;
using namespace batchrun::ingest;
using namespace batchrun::ingest::testing;

namespace {

KafkaSettings settings() {
  KafkaSettings s;
  s.topic_prefix = "t.";
  return s;
}

// A request of n runs of batch b in lane `normal` (workflow "wf", run 2 of workflow "other" and
// lane "high"), acknowledged at partition i % 3, offset 100 + i.
struct Request {
  std::vector<batchrun::Run> runs;
  std::vector<int32_t> partitions;
  std::vector<int64_t> offsets;
};
Request request(const std::string& b, int n) {
  Request q;
  for (int i = 1; i <= n; ++i) {
    auto r = laneRun("p", i, b, n);
    r.created_at = 1'700'000'000'000;  // a request's runs share it
    if (i == 2) {
      r.workflow_id = "other";
      r.lane = "high";
    }
    q.runs.push_back(r);
    q.partitions.push_back((i - 1) % 3);
    q.offsets.push_back(100 + i - 1);
  }
  return q;
}

// `good` with the first `from` replaced by `to`.
std::string replaced(std::string good, const std::string& from, const std::string& to) {
  auto at = good.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) good.replace(at, from.size(), to);
  return good;
}

}  // namespace

TEST(RunIndex, ARequestsAcknowledgedRunsRoundTrip) {
  const std::string b = batchId(1);
  Request q = request(b, 4);
  q.partitions[3] = -1;  // not acknowledged: not in the index
  auto m = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "t.runs.index");
  EXPECT_EQ(m->key, b);
  ASSERT_EQ(m->headers.size(), 1u);
  EXPECT_EQ(m->headers[0], (std::pair<std::string, std::string>{kInstanceHeader, "me"}));

  std::string buffer = m->value;
  RunIndex got;
  ASSERT_TRUE(decodeRunIndex(buffer, got)) << m->value;
  EXPECT_EQ(got.project, "p");
  EXPECT_EQ(got.batch_id, b);
  EXPECT_EQ(got.created_at, q.runs[0].created_at);
  EXPECT_EQ(got.batch_size, 4);
  ASSERT_EQ(got.runs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got.runs[i].run_id, q.runs[i].run_id);
    EXPECT_EQ(got.workflows[got.runs[i].workflow], q.runs[i].workflow_id);
    EXPECT_EQ(got.lanes[got.runs[i].lane], q.runs[i].lane);
    EXPECT_EQ(got.runs[i].partition, q.partitions[i]);
    EXPECT_EQ(got.runs[i].offset, q.offsets[i]);
  }
  EXPECT_EQ(got.workflows.size(), 2u);  // each name once
  EXPECT_EQ(got.lanes.size(), 2u);
}

TEST(RunIndex, ConsecutiveIdsAreNamedByTheFirstAlone) {
  const std::string b = batchId(1);
  Request q = request(b, 300);  // runId(1..300): the low 64 bits count up, as a plain request's ids do
  auto m = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets);
  ASSERT_TRUE(m);
  EXPECT_NE(m->value.find("\"first_run_id\":\"" + q.runs[0].run_id + "\""), std::string::npos) << m->value;
  EXPECT_EQ(m->value.find(q.runs[1].run_id), std::string::npos);  // implied, not written
  EXPECT_LT(m->value.size(), 300u * 24);

  std::string buffer = m->value;
  RunIndex got;
  ASSERT_TRUE(decodeRunIndex(buffer, got)) << m->value;
  ASSERT_EQ(got.runs.size(), q.runs.size());
  for (size_t i = 0; i < q.runs.size(); ++i) {
    EXPECT_EQ(got.runs[i].run_id, q.runs[i].run_id) << i;
    EXPECT_EQ(got.workflows[got.runs[i].workflow], q.runs[i].workflow_id);
    EXPECT_EQ(got.lanes[got.runs[i].lane], q.runs[i].lane);
    EXPECT_EQ(got.runs[i].partition, q.partitions[i]);
    EXPECT_EQ(got.runs[i].offset, q.offsets[i]);
  }
}

TEST(RunIndex, ARangeCarriesAcrossTheLastDashAndWrapsAsUuidPlusDoes) {
  // The low 64 bits run over the last two groups; past their top they wrap (uuidPlus).
  for (const char* start : {"0190aaaa-0000-7000-80ff-fffffffffffe", "0190aaaa-0000-7000-ffff-fffffffffffe"}) {
    Uuid first;
    ASSERT_TRUE(parseUuid(start, first));
    Request q = request(batchId(1), 4);
    for (size_t i = 0; i < q.runs.size(); ++i) q.runs[i].run_id = uuidv7Next(first, i);
    auto m = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets);
    ASSERT_TRUE(m);
    EXPECT_NE(m->value.find(std::string("\"first_run_id\":\"") + start), std::string::npos) << m->value;
    std::string buffer = m->value;
    RunIndex got;
    ASSERT_TRUE(decodeRunIndex(buffer, got));
    ASSERT_EQ(got.runs.size(), 4u);
    for (size_t i = 0; i < q.runs.size(); ++i) EXPECT_EQ(got.runs[i].run_id, q.runs[i].run_id) << i;
  }
  Uuid top;
  ASSERT_TRUE(parseUuid("0190aaaa-0000-7000-80ff-ffffffffffff", top));
  EXPECT_EQ(uuidv7Next(top, 1), "0190aaaa-0000-7000-8100-000000000000");  // what the range above crossed
}

TEST(RunIndex, IdsThatAreNotARangeAreWrittenOut) {
  // A gap, and upper case (which would not come back the same).
  for (const std::string& third : {runId(7), std::string("0190AAAA-0000-7000-8000-000000000003")}) {
    Request q = request(batchId(1), 3);
    q.runs[2].run_id = third;
    auto m = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->value.find("first_run_id"), std::string::npos) << m->value;
    std::string buffer = m->value;
    RunIndex got;
    ASSERT_TRUE(decodeRunIndex(buffer, got));
    ASSERT_EQ(got.runs.size(), 3u);
    EXPECT_EQ(got.runs[2].run_id, third);
  }
}

TEST(RunIndex, MalformedRangeRecordsAreRefused) {
  Request q = request(batchId(1), 2);
  const std::string good = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets)->value;
  ASSERT_NE(good.find("first_run_id"), std::string::npos) << good;
  auto with = [&](const std::string& from, const std::string& to) { return replaced(good, from, to); };
  for (std::string bad : {with("\"first_run_id\":\"" + runId(1) + "\"", "\"first_run_id\":\"run-1\""),
                          with("\"first_run_id\":\"" + runId(1) + "\"", "\"first_run_id\":7"),
                          with(runId(1) + "\",\"run_positions", "0190aaaa-0000-7000-8000-00000000000A\",\"run_positions"),
                          with("\"run_positions\"", "\"positions\""),
                          with("[0,0,0,100]", "[\"" + runId(1) + "\",0,0,0,100]")}) {  // an id anyway
    std::string buffer = bad;
    RunIndex got;
    EXPECT_FALSE(decodeRunIndex(buffer, got)) << bad;
  }
}

TEST(RunIndex, AReaderThatKnowsNoRangeSeesARequestWithoutRuns) {
  // What an ingest from before the range form decodes: no run, no error (it learns the runs once
  // they start); it reads "runs" alone.
  Request q = request(batchId(1), 2);
  std::string value = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets)->value;
  std::string old = replaced(replaced(value, "\"first_run_id\"", "\"x\""), "\"run_positions\"", "\"y\"");
  RunIndex got;
  ASSERT_TRUE(decodeRunIndex(old, got)) << old;
  EXPECT_TRUE(got.runs.empty());
  EXPECT_EQ(got.batch_id, batchId(1));
}

TEST(RunIndex, NoRecordWhenNothingWasAcknowledgedAndASingleRunIsKeyedByItsId) {
  Request q = request("", 1);
  EXPECT_FALSE(runIndexMessage(Topics(settings()), "me", q.runs, {-1}, {-1}));
  auto m = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->key, q.runs[0].run_id);
}

TEST(RunIndex, MalformedRecordsAreRefused) {
  Request q = request(batchId(1), 1);
  const std::string good = runIndexMessage(Topics(settings()), "me", q.runs, q.partitions, q.offsets)->value;
  auto with = [&](const std::string& from, const std::string& to) { return replaced(good, from, to); };
  for (std::string bad : {std::string("not json"), std::string("{}"), std::string("[]"),
                          with("\"project\":\"p\"", "\"project\":\"\""),       // no project
                          with(",0,0,0,100]", ",1,0,0,100]"),                   // workflow out of range
                          with(",0,0,0,100]", ",0,5,0,100]"),                   // lane out of range
                          with(",0,0,0,100]", ",0,0,-1,100]"),                  // negative partition
                          with(",0,0,0,100]", ",0,0,0]"),                       // an entry too short
                          with("\"lanes\":[", "\"lanes\":[1,")}) {
    std::string buffer = bad;
    RunIndex got;
    EXPECT_FALSE(decodeRunIndex(buffer, got)) << bad;
  }
  std::string buffer = good;
  RunIndex got;
  EXPECT_TRUE(decodeRunIndex(buffer, got));
}

TEST(RunViewIndex, AnotherInstancesRequestIsIndexedAtItsLanePositions) {
  const std::string b = batchId(1);
  Request q = request(b, 3);
  RunView view;
  auto kafka = std::make_unique<FakeRecords>();
  for (size_t i = 0; i < q.runs.size(); ++i) {
    kafka->put({"t.runs.requested." + q.runs[i].lane, q.partitions[i], q.offsets[i]}, encodeRun(q.runs[i]));
  }
  view.setReader(std::move(kafka), "t.runs.requested.");
  auto m = runIndexMessage(Topics(settings()), "another", q.runs, q.partitions, q.offsets);
  ASSERT_TRUE(view.applyIndex(m->value));
  EXPECT_EQ(view.size(), 3u);
  for (size_t i = 0; i < q.runs.size(); ++i) {
    auto got = getRun(view, "p", q.runs[i].run_id);  // read back from its lane record's position
    ASSERT_TRUE(got) << i;
    EXPECT_EQ(got->input, q.runs[i].input);
    EXPECT_EQ(got->workflow_id, q.runs[i].workflow_id);
    EXPECT_EQ(got->partition, q.partitions[i]);
    EXPECT_EQ(got->status, RunStatus::kQueued);
  }
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, 3);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kQueued)], 3);
  EXPECT_FALSE(view.applyIndex("{}"));
}

TEST(RunViewIndex, ARunAlreadyFurtherAlongOrNotedStaysAsItIs) {
  const std::string b = batchId(1);
  Request q = request(b, 2);
  RunView view;
  view.noteAccepted(q.runs, q.partitions, q.offsets);  // as the writing instance did
  ASSERT_TRUE(view.apply(encodeRun(advanced(q.runs[1], RunStatus::kRunning)), q.partitions[1]));
  auto m = runIndexMessage(Topics(settings()), "another", q.runs, q.partitions, q.offsets);
  ASSERT_TRUE(view.applyIndex(m->value));  // read back after both
  EXPECT_EQ(view.size(), 2u);
  EXPECT_EQ(getRun(view, "p", q.runs[1].run_id)->status, RunStatus::kRunning);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kQueued)], 1);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kRunning)], 1);
}

// A request with consecutive ids is held as one block (RunView): a state of one of its runs read
// before the index record, or the record read twice, must leave each run counted once.
TEST(RunViewIndex, AStateReadBeforeItsIndexRecordKeepsTheStateAndCountsEachRunOnce) {
  const std::string b = batchId(1);
  Request q = request(b, 3);
  RunView view;
  ASSERT_TRUE(view.apply(encodeRun(advanced(q.runs[1], RunStatus::kRunning)), q.partitions[1]));
  auto m = runIndexMessage(Topics(settings()), "another", q.runs, q.partitions, q.offsets);
  ASSERT_NE(m->value.find("first_run_id"), std::string::npos);
  ASSERT_TRUE(view.applyIndex(m->value));
  ASSERT_TRUE(view.applyIndex(m->value));
  EXPECT_EQ(view.size(), 3u);
  EXPECT_EQ(view.summary("p", q.runs[1].run_id)->status, RunStatus::kRunning);
  EXPECT_EQ(view.summary("p", q.runs[2].run_id)->status, RunStatus::kQueued);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kQueued)], 2);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kRunning)], 1);
}

TEST(RunViewIndex, ABlockReadTwiceCountsOnceAndItsRunsMoveOnOneByOne) {
  const std::string b = batchId(1);
  Request q = request(b, 4);
  RunView view;
  auto m = runIndexMessage(Topics(settings()), "another", q.runs, q.partitions, q.offsets);
  ASSERT_TRUE(view.applyIndex(m->value));
  ASSERT_TRUE(view.applyIndex(m->value));
  EXPECT_EQ(view.size(), 4u);
  EXPECT_EQ(view.batch("p", b)->counts[static_cast<int>(RunStatus::kQueued)], 4);
  EXPECT_EQ(view.summary("p", q.runs[1].run_id)->workflow_id, "other");
  for (const auto& r : q.runs) {
    ASSERT_TRUE(view.apply(encodeRun(advanced(advanced(r, RunStatus::kRunning), RunStatus::kCompleted, 5)), 7));
  }
  EXPECT_EQ(view.size(), 4u);
  auto t = view.batch("p", b);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kQueued)], 0);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kCompleted)], 4);
  EXPECT_EQ(t->completed_at, 5);
  EXPECT_EQ(view.summary("p", q.runs[3].run_id)->partition, 7);
  // The same record once more: its runs are further along, nothing changes.
  ASSERT_TRUE(view.applyIndex(m->value));
  EXPECT_EQ(view.batch("p", b)->counts[static_cast<int>(RunStatus::kCompleted)], 4);
}

TEST(RunViewIndex, EveryViewHasItsOwnInstanceId) {
  RunView a, b;
  EXPECT_FALSE(a.instance().empty());
  EXPECT_NE(a.instance(), b.instance());
}

TEST(RunViewNoteAccepted, AWholeRequestIsIndexedAndUnacknowledgedRecordsAreLeftOut) {
  RunView view;
  const std::string b = batchId(1);
  std::vector<batchrun::Run> runs = {laneRun("p", 1, b, 3), laneRun("p", 2, b, 3), laneRun("p", 3, b, 3)};
  auto kafka = std::make_unique<FakeRecords>();
  kafka->put({"t.normal", 4, 7}, encodeRun(runs[0]));
  kafka->put({"t.normal", 2, 9}, encodeRun(runs[2]));
  view.setReader(std::move(kafka), "t.");
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

