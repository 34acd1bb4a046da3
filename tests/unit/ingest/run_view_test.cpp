// RunView without Kafka: records are fed as the follower would (apply) and as the write path does
// (noteAccepted). Versions, partitions, batch totals, open runs, get(), parseUuid and undecodable
// records. Listing and paging: run_view_list_test.cpp.
#include <gtest/gtest.h>

#include <cctype>
#include <numeric>
#include <string>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/ingest/read/run_view.hpp"
#include "run_view_records.hpp"

using namespace batchrun;
using namespace batchrun::ingest;
using namespace batchrun::ingest::testing;

namespace {

int count(const BatchTotals& t, RunStatus s) { return t.counts[static_cast<int>(s)]; }
int seen(const BatchTotals& t) { return std::accumulate(t.counts.begin(), t.counts.end(), 0); }
// Held with the partition its records sit in (what a cancel needs).
bool holds(const RunView& view, const std::string& id) {
  auto s = view.summary("p", id);
  return s && s->partition >= 0;
}

void put(RunView& view, const batchrun::Run& r, int32_t partition) {
  ASSERT_TRUE(view.apply(encodeRun(r), partition)) << r.run_id;
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST(RunViewVersions, HighestVersionWinsAndEqualOrLowerAreIgnored) {
  RunView view;
  const std::string b = batchId(1);
  auto lane = laneRun("p", 1, b, 1);
  auto running = advanced(lane, RunStatus::kRunning);
  auto done = advanced(running, RunStatus::kCompleted, 1'700'000'009'000);
  done.output = R"({"ok":true})";
  put(view, lane, -1);
  put(view, done, 3);
  put(view, running, 3);  // late, lower version
  auto same_version = done;
  same_version.status = RunStatus::kFailed;
  same_version.output = R"({"ok":false})";
  put(view, same_version, 3);  // the same transition seen twice must not count twice

  auto got = getRun(view, "p", lane.run_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->status, RunStatus::kCompleted);
  EXPECT_EQ(got->output, R"({"ok":true})");
  EXPECT_EQ(got->input, lane.input);
  EXPECT_EQ(view.size(), 1u);

  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(count(*t, RunStatus::kCompleted), 1);
  EXPECT_EQ(count(*t, RunStatus::kFailed), 0);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 0);
  EXPECT_EQ(count(*t, RunStatus::kRunning), 0);
  EXPECT_EQ(seen(*t), 1);
  EXPECT_EQ(t->terminal, 1);
}

TEST(RunViewVersions, StateRecordBeforeItsLaneRecordKeepsTheState) {
  RunView view;
  const std::string b = batchId(1);
  auto lane = laneRun("p", 1, b, 1);
  put(view, advanced(lane, RunStatus::kRunning), 2);
  put(view, lane, 2);
  EXPECT_EQ(getRun(view, "p", lane.run_id)->status, RunStatus::kRunning);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(count(*t, RunStatus::kRunning), 1);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 0);
}

TEST(RunViewPartitions, LaneRecordLearnsItsPartitionFromALaterRecord) {
  RunView view;
  const std::string b = batchId(1);
  auto lane = laneRun("p", 1, b, 1);
  put(view, lane, -1);
  EXPECT_EQ(getRun(view, "p", lane.run_id)->partition, -1);
  EXPECT_FALSE(holds(view, lane.run_id));
  auto open = view.openRuns("p", b);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].partition, -1);

  put(view, advanced(lane, RunStatus::kRunning), 4);
  EXPECT_EQ(getRun(view, "p", lane.run_id)->partition, 4);
  EXPECT_TRUE(holds(view, lane.run_id));
  EXPECT_EQ((*view.openRuns("p", b))[0].partition, 4);
}

TEST(RunViewPartitions, LaneRecordLearnsItsPartitionFromTheSameRecordReadBack) {
  RunView view;
  auto lane = laneRun("p", 1);
  put(view, lane, -1);
  put(view, lane, 6);  // equal version: ignored, but where it sits is news
  EXPECT_EQ(getRun(view, "p", lane.run_id)->partition, 6);
  EXPECT_EQ(view.size(), 1u);
}

TEST(RunViewPartitions, LaneRecordLearnsItsPartitionFromNoteAccepted) {
  RunView view;
  const std::string b = batchId(1);
  auto lane = laneRun("p", 1, b, 1);
  put(view, lane, -1);
  view.noteAccepted({lane}, {5}, {40});
  EXPECT_EQ(getRun(view, "p", lane.run_id)->partition, 5);
  EXPECT_TRUE(holds(view, lane.run_id));
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 1);
  EXPECT_EQ(seen(*t), 1);
}

TEST(RunViewNoteAccepted, ThenTheFollowedLaneRecordCountsEachRunOnce) {
  RunView view;
  const std::string b = batchId(1);
  std::vector<batchrun::Run> runs = {laneRun("p", 1, b, 3), laneRun("p", 2, b, 3), laneRun("p", 3, b, 3)};
  auto kafka = std::make_unique<FakeRecords>();
  for (size_t i = 0; i < runs.size(); ++i) kafka->put({"t.normal", 1, 10 + int64_t(i)}, encodeRun(runs[i]));
  view.setReader(std::move(kafka), "t.");
  view.noteAccepted(runs, {1, 1, 1}, {10, 11, 12});
  ASSERT_EQ(view.size(), 3u);
  EXPECT_TRUE(holds(view, runs[0].run_id));
  auto got = getRun(view, "p", runs[1].run_id);  // readable before the follower sees anything
  ASSERT_TRUE(got);
  EXPECT_EQ(got->input, runs[1].input);
  EXPECT_EQ(got->partition, 1);

  for (const auto& r : runs) put(view, r, 1);
  // The dispatcher's first record may even overtake the follower's read of the lane record.
  put(view, advanced(runs[2], RunStatus::kRunning), 1);
  put(view, runs[2], 1);

  EXPECT_EQ(view.size(), 3u);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 2);
  EXPECT_EQ(count(*t, RunStatus::kRunning), 1);
  EXPECT_EQ(seen(*t), 3);
  EXPECT_EQ(t->total, 3);
}

TEST(RunViewBatch, CountsPerStatusAndTotalIsDeclaredSizeOrRunsSeen) {
  RunView view;
  const std::string b = batchId(1);
  put(view, laneRun("p", 1, b, 4), -1);
  put(view, advanced(laneRun("p", 2, b, 4), RunStatus::kRunning), 0);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->batch_id, b);
  EXPECT_EQ(t->total, 4);  // declared, two not seen yet
  EXPECT_EQ(count(*t, RunStatus::kQueued), 1);
  EXPECT_EQ(count(*t, RunStatus::kRunning), 1);
  EXPECT_EQ(t->terminal, 0);

  // More runs than declared (a writer that under-declared): the total follows what was seen.
  for (int n = 3; n <= 6; ++n) put(view, laneRun("p", n, b, 4), -1);
  t = view.batch("p", b);
  EXPECT_EQ(t->total, 6);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 5);
  EXPECT_EQ(seen(*t), 6);
}

TEST(RunViewBatch, CompletedOnlyOnceEveryRunIsTerminal) {
  RunView view;
  const std::string b = batchId(7);
  auto r1 = laneRun("p", 1, b, 3), r2 = laneRun("p", 2, b, 3), r3 = laneRun("p", 3, b, 3);
  r3.created_at = r1.created_at - 500;  // the batch began with its earliest run
  put(view, advanced(r1, RunStatus::kCompleted, 2'000), 0);
  put(view, advanced(r2, RunStatus::kFailed, 3'000), 0);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->terminal, 2);
  EXPECT_EQ(t->total, 3);  // the third is declared but unseen
  EXPECT_EQ(t->completed_at, 0);

  put(view, r3, -1);
  EXPECT_EQ(view.batch("p", b)->completed_at, 0);
  put(view, advanced(r3, RunStatus::kCancelled, 2'500), 0);
  t = view.batch("p", b);
  EXPECT_EQ(t->terminal, 3);
  EXPECT_EQ(t->completed_at, 3'000);  // the last of its runs to finish
  EXPECT_EQ(t->created_at, r3.created_at);
  EXPECT_EQ(count(*t, RunStatus::kCompleted), 1);
  EXPECT_EQ(count(*t, RunStatus::kFailed), 1);
  EXPECT_EQ(count(*t, RunStatus::kCancelled), 1);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 0);
}

TEST(RunViewBatch, OpenRunsExcludeTerminalRunsAndCarryPartitions) {
  RunView view;
  const std::string b = batchId(1);
  put(view, laneRun("p", 3, b, 4), 2);
  put(view, laneRun("p", 1, b, 4), -1);
  put(view, advanced(laneRun("p", 2, b, 4), RunStatus::kTimedOut, 9), 1);
  put(view, advanced(laneRun("p", 4, b, 4), RunStatus::kRetrying), 0);
  auto open = view.openRuns("p", b);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 3u);
  EXPECT_EQ((*open)[0].run_id, runId(1));
  EXPECT_EQ((*open)[0].partition, -1);
  EXPECT_EQ((*open)[1].run_id, runId(3));
  EXPECT_EQ((*open)[1].partition, 2);
  EXPECT_EQ((*open)[2].run_id, runId(4));
  EXPECT_EQ((*open)[2].partition, 0);

  EXPECT_FALSE(view.openRuns("q", b));
  EXPECT_FALSE(view.openRuns("p", batchId(2)));
  EXPECT_FALSE(view.batch("q", b));

  for (int n : {1, 3, 4}) put(view, advanced(*getRun(view, "p", runId(n)), RunStatus::kCancelled, 10), 0);
  open = view.openRuns("p", b);
  ASSERT_TRUE(open);  // known, nothing left to cancel
  EXPECT_TRUE(open->empty());
}

TEST(RunViewUndecodable, RecordsAreRefusedAndChangeNothing) {
  RunView view;
  const std::string b = batchId(1);
  auto held = laneRun("p", 1, b, 2);
  put(view, held, 0);

  // A later version of the held run (it would win if it were decodable), and a new run in a new
  // project and batch (nothing of it may appear).
  const std::string newer = encodeRun(advanced(held, RunStatus::kRunning));
  const std::string fresh = encodeRun(laneRun("q", 2, batchId(2), 1));
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[1,2]",
      "{",
      "null",
      replaced(newer, "\"status\":\"running\"", "\"status\":\"exploded\""),
      replaced(newer, "\"status\":\"running\"", "\"status\":2"),
      replaced(newer, "\"run_id\":", "\"id\":"),
      replaced(newer, "\"project\":", "\"tenant\":"),
      replaced(newer, "\"project\":\"p\"", "\"project\":\"\""),
      replaced(newer, "\"project\":\"p\"", "\"project\":7"),
      replaced(fresh, "\"run_id\":\"" + runId(2) + "\"", "\"run_id\":\"not-a-uuid\""),
      replaced(fresh, "\"run_id\":\"" + runId(2) + "\"", "\"run_id\":\"\""),
      replaced(fresh, "\"status\":\"queued\"", "\"status\":\"QUEUED\""),
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(view.apply(bad[i], 0)) << i << ": " << bad[i];
  }

  EXPECT_EQ(view.size(), 1u);
  auto got = getRun(view, "p", held.run_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, RunStatus::kQueued);
  EXPECT_EQ(got->version, 0);
  auto t = view.batch("p", b);
  ASSERT_TRUE(t);
  EXPECT_EQ(count(*t, RunStatus::kQueued), 1);
  EXPECT_EQ(count(*t, RunStatus::kRunning), 0);
  EXPECT_EQ(seen(*t), 1);
  EXPECT_FALSE(view.batch("q", batchId(2)));
  EXPECT_TRUE(listRuns(view, "q", RunQuery{}).runs.empty());
  EXPECT_FALSE(getRun(view, "q", runId(2)));
  // Still decodable after all that: the held run moves on.
  EXPECT_TRUE(view.apply(newer, 0));
  EXPECT_EQ(getRun(view, "p", held.run_id)->status, RunStatus::kRunning);
}

TEST(RunViewGet, MalformedIdsAndUnknownProjectsFindNothing) {
  RunView view;
  auto r = laneRun("p", 0xabc);
  put(view, r, 0);
  ASSERT_TRUE(getRun(view, "p", r.run_id));

  std::string upper = r.run_id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto got = getRun(view, "p", upper);  // UUIDs are case-insensitive
  ASSERT_TRUE(got);
  EXPECT_EQ(got->run_id, r.run_id);

  EXPECT_FALSE(getRun(view, "q", r.run_id));
  EXPECT_FALSE(getRun(view, "", r.run_id));
  EXPECT_FALSE(getRun(view, "p", runId(0xabd)));
  for (const std::string& bad : {std::string(), std::string("abc"), r.run_id.substr(1), r.run_id + "0",
                          "{" + r.run_id.substr(1), replaced(r.run_id, "-", "x"),
                          replaced(r.run_id, "0190", "019g")}) {
    EXPECT_FALSE(getRun(view, "p", bad)) << bad;
  }
}

TEST(ParseUuid, ReadsBytesInEitherCase) {
  Uuid lower{}, upper{};
  ASSERT_TRUE(parseUuid("00112233-4455-6677-8899-aabbccddeeff", lower));
  const Uuid want = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                     0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  EXPECT_EQ(lower, want);
  ASSERT_TRUE(parseUuid("00112233-4455-6677-8899-AABBCCDDEEFF", upper));
  EXPECT_EQ(upper, want);
  EXPECT_EQ(formatUuid(lower), "00112233-4455-6677-8899-aabbccddeeff");

  std::string id = uuidv7();
  Uuid u{};
  ASSERT_TRUE(parseUuid(id, u));
  EXPECT_EQ(formatUuid(u), id);
}

TEST(ParseUuid, RejectsAnythingButTheDashedHexForm) {
  Uuid u{};
  for (std::string_view bad : {
           "",
           "00112233445566778899aabbccddeeff",      // no dashes
           "00112233-4455-6677-8899-aabbccddeef",   // one digit short
           "00112233-4455-6677-8899-aabbccddeeff0", // one digit long
           "0011223-34455-6677-8899-aabbccddeeff",  // dash moved
           "00112233-4455-6677-8899_aabbccddeeff",  // not a dash
           "00112233-4455-6677-8899-aabbccddeefg",  // not hex, last place
           "g0112233-4455-6677-8899-aabbccddeeff",  // not hex, first place
           "00112233-4455-6677-88 9-aabbccddeeff",
           "{0112233-4455-6677-8899-aabbccddeef}",
           "00112233-4455-6677-8899-aabbccddee-f",
       }) {
    EXPECT_FALSE(parseUuid(bad, u)) << bad;
  }
}

// The view keeps where each record sits, not its bytes, and reads them back when a run is served.
class RunViewRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kafka = std::make_unique<FakeRecords>();
    kafka_ = kafka.get();
    view_.setReader(std::move(kafka), "t.");
  }
  // Puts r where Kafka holds it and lets the view read it there, as the follower does.
  void follow(const batchrun::Run& r, const std::string& topic, int32_t partition, int64_t offset) {
    kafka_->put({topic, partition, offset}, encodeRun(r));
    ASSERT_TRUE(view_.apply(encodeRun(r), partition, topic, offset));
  }
  RunView view_;
  FakeRecords* kafka_ = nullptr;
};

TEST_F(RunViewRecords, ServedRunsAreReadFromKafkaAtTheirLatestPosition) {
  const std::string b = batchId(1);
  auto r1 = laneRun("p", 1, b, 2), r2 = laneRun("p", 2, b, 2);
  follow(r1, "t.normal", 3, 100);
  follow(r2, "t.normal", 4, 200);
  auto done = advanced(r1, RunStatus::kCompleted, 1'700'000'009'000);
  done.output = R"({"ok":true})";
  follow(done, "t.state", 3, 7);

  auto got = getRun(view_, "p", r1.run_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->output, done.output);
  EXPECT_EQ(got->input, r1.input);
  EXPECT_EQ(got->partition, 3);
  EXPECT_EQ(kafka_->reads, 1);

  RunQuery q;
  q.batch_id = b;
  auto page = listRuns(view_, "p", q);
  ASSERT_EQ(page.runs.size(), 2u);
  EXPECT_EQ(page.runs[0].status, RunStatus::kCompleted);
  EXPECT_EQ(page.runs[1].input, r2.input);
  EXPECT_EQ(kafka_->reads, 2) << "a page is one read";
}

TEST_F(RunViewRecords, SummariesAndTotalsNeverReadKafka) {
  const std::string b = batchId(1);
  auto r = laneRun("p", 1, b, 1);
  follow(r, "t.normal", 2, 5);
  auto s = view_.summary("p", r.run_id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->batch_id, b);
  EXPECT_EQ(s->workflow_id, "wf");
  EXPECT_EQ(s->created_at, r.created_at);
  EXPECT_EQ(s->partition, 2);
  EXPECT_EQ(s->status, RunStatus::kQueued);
  EXPECT_FALSE(view_.summary("p", runId(2)));
  EXPECT_TRUE(view_.batch("p", b));
  EXPECT_TRUE(view_.openRuns("p", b));
  EXPECT_EQ(kafka_->reads, 0);
}

TEST_F(RunViewRecords, ARecordGoneFromKafkaIsServedFromTheIndex) {
  auto r = laneRun("p", 1, batchId(1), 1);
  follow(r, "t.normal", 2, 5);
  kafka_->erase({"t.normal", 2, 5});  // retention removed it
  auto got = getRun(view_, "p", r.run_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->run_id, r.run_id);
  EXPECT_EQ(got->batch_id, r.batch_id);
  EXPECT_EQ(got->created_at, r.created_at);
  EXPECT_EQ(got->input, "null") << "what the record held is not known any more";

  // Another run's record at that position (a misdirected read) is not taken for this one.
  kafka_->put({"t.normal", 2, 5}, encodeRun(laneRun("p", 9)));
  got = getRun(view_, "p", r.run_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->run_id, r.run_id);
  EXPECT_EQ(got->input, "null");
}

TEST_F(RunViewRecords, GetNowAndListNowAnswerOnlyWhatNeedsNoKafkaRead) {
  const std::string b = batchId(1);
  auto r1 = laneRun("p", 1, b, 2), r2 = laneRun("p", 2, b, 2);
  follow(r1, "t.normal", 3, 100);
  follow(r2, "t.normal", 4, 200);
  kafka_->fail = true;  // nothing here may wait for Kafka

  EXPECT_FALSE(view_.getNow("p", r1.run_id)) << "its record must be fetched";
  kafka_->cache({"t.normal", 3, 100});
  auto now = view_.getNow("p", r1.run_id);
  ASSERT_TRUE(now && *now);
  EXPECT_EQ((*now)->input, r1.input);
  auto unknown = view_.getNow("p", runId(9));
  ASSERT_TRUE(unknown) << "an unknown run needs no read";
  EXPECT_FALSE(*unknown);

  RunQuery q;
  q.batch_id = b;
  EXPECT_FALSE(view_.listNow("p", q)) << "one of the page's records is not cached";
  kafka_->cache({"t.normal", 4, 200});
  auto page = view_.listNow("p", q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->runs.size(), 2u);
  EXPECT_EQ(page->runs[1].input, r2.input);
  EXPECT_EQ(kafka_->reads, 0);
}

// Two ingest instances taking the same per-item key at once each write the run's lane record under
// their own batch: one run, and both batches count it.
TEST_F(RunViewRecords, ARunRequestedByTwoBatchesCountsInBoth) {
  const std::string a = batchId(1), b = batchId(2);
  auto shared = laneRun("p", 1, a, 2);
  auto own = laneRun("p", 2, a, 2);
  auto again = shared;  // the other instance's record: same run id, its own batch
  again.batch_id = b;
  again.batch_size = 1;
  follow(shared, "t.normal", 0, 10);
  follow(own, "t.normal", 0, 11);
  follow(again, "t.normal", 0, 12);
  auto tb = view_.batch("p", b);
  ASSERT_TRUE(tb);
  EXPECT_EQ(tb->total, 1);
  EXPECT_EQ(tb->terminal, 0);
  auto open_b = view_.openRuns("p", b);
  ASSERT_TRUE(open_b);
  EXPECT_TRUE(open_b->empty()) << "cancelling batch b must not cancel batch a's run";

  follow(advanced(shared, RunStatus::kRunning), "t.state", 0, 1);
  follow(advanced(advanced(shared, RunStatus::kRunning), RunStatus::kCompleted, 1'700'000'009'000), "t.state", 0, 2);
  tb = view_.batch("p", b);
  ASSERT_TRUE(tb);
  EXPECT_EQ(tb->terminal, 1);
  EXPECT_EQ(tb->counts[static_cast<int>(RunStatus::kCompleted)], 1);
  EXPECT_EQ(tb->counts[static_cast<int>(RunStatus::kQueued)], 0);
  EXPECT_EQ(tb->completed_at, 1'700'000'009'000);
  auto ta = view_.batch("p", a);
  ASSERT_TRUE(ta);
  EXPECT_EQ(ta->total, 2);
  EXPECT_EQ(ta->terminal, 1);
  EXPECT_EQ(ta->counts[static_cast<int>(RunStatus::kCompleted)], 1);
  // The same record read again changes nothing.
  follow(again, "t.normal", 0, 12);
  EXPECT_EQ(view_.batch("p", b)->terminal, 1);
  EXPECT_EQ(view_.batch("p", b)->total, 1);
}

TEST_F(RunViewRecords, KafkaNotAnsweringIsAnErrorNotAMissingRun) {
  const std::string b = batchId(1);
  auto r = laneRun("p", 1, b, 1);
  follow(r, "t.normal", 0, 1);
  kafka_->fail = true;
  auto got = view_.get("p", r.run_id);
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error().retryable);
  RunQuery q;
  EXPECT_FALSE(view_.list("p", q));
  // Unknown runs need no read, so they are still answered.
  auto unknown = view_.get("p", runId(2));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

TEST_F(RunViewRecords, AcceptedRunsAreReadAtTheOffsetsTheirDeliveryReported) {
  const std::string b = batchId(1);
  std::vector<batchrun::Run> runs = {laneRun("p", 1, b, 2), laneRun("p", 2, b, 2)};
  runs[1].lane = "bulk";
  kafka_->put({"t.normal", 1, 40}, encodeRun(runs[0]));
  kafka_->put({"t.bulk", 3, 41}, encodeRun(runs[1]));
  view_.noteAccepted(runs, {1, 3}, {40, 41});
  EXPECT_EQ(getRun(view_, "p", runs[0].run_id)->input, runs[0].input);
  EXPECT_EQ(getRun(view_, "p", runs[1].run_id)->input, runs[1].input);
  EXPECT_EQ(getRun(view_, "p", runs[1].run_id)->partition, 3);
}
