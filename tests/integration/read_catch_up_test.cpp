// Never a false 404 (issue #25): a run or batch accepted by one ingest instance is read on another
// at once — before that instance's view has followed the records — because a miss makes the view
// catch up with Kafka before it answers (ingest/include/batchrun/ingest/read/catch_up.hpp). Without
// the catch-up, most first reads below were 404 (the view follows with ≈ 50 ms of lag).
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "batchrun/common/ids.hpp"
#include "read_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

TEST(ReadCatchUp, WhatOneInstanceAcceptedIsServedByAnotherOnTheFirstRead) {
  ReadHarness h;
  const std::string first = h.startIngest();
  const std::string second = h.startIngest();
  constexpr int kRounds = 100;
  int misses = 0;
  for (int i = 0; i < kRounds; ++i) {
    const std::string body = R"({"workflow_id":"wf","runs":[{"input":{"i":)" + std::to_string(i) +
                             R"(},"destination":"http://127.0.0.1:9/run"}]})";
    auto accepted = h.post(first, "/v1/batches", body);
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    auto d = parse(accepted.body);
    const std::string batch = d["batch_id"].GetString();
    const std::string run = d["runs"][0]["run_id"].GetString();
    // Alternate which read comes first: each must catch up on its own.
    auto r1 = i % 2 ? h.get(second, "/v1/batches/" + batch) : h.get(second, "/v1/runs/" + run);
    auto r2 = i % 2 ? h.get(second, "/v1/runs/" + run) : h.get(second, "/v1/batches/" + batch);
    if (r1.status != 200 || r2.status != 200) {
      ++misses;
      ADD_FAILURE() << "round " << i << ": " << r1.status << " " << r1.body << " / " << r2.status << " " << r2.body;
    }
  }
  EXPECT_EQ(misses, 0);
}

TEST(ReadCatchUp, ABatchListReadOnAnotherInstanceHoldsEveryRunOfTheBatch) {
  ReadHarness h;
  const std::string first = h.startIngest();
  const std::string second = h.startIngest();
  for (int i = 0; i < 20; ++i) {
    std::string body = R"({"workflow_id":"wf","runs":[)";
    for (int k = 0; k < 10; ++k) body += std::string(k ? "," : "") + R"({"input":{},"destination":"http://127.0.0.1:9/r"})";
    body += "]}";
    auto accepted = h.post(first, "/v1/batches", body);
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    const std::string batch = parse(accepted.body)["batch_id"].GetString();
    auto listed = h.get(second, "/v1/runs?batch_id=" + batch + "&limit=100");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(parse(listed.body)["runs"].Size(), 10u) << "round " << i << ": " << listed.body;
  }
}

TEST(ReadCatchUp, WhatWasNeverWrittenIsStillA404AfterTheViewCaughtUp) {
  ReadHarness h;
  const std::string base = h.startIngest();
  const std::string id = uuidv7();
  auto run = h.get(base, "/v1/runs/" + id);
  EXPECT_EQ(run.status, 404) << run.body;
  EXPECT_NE(run.body.find("not_found"), std::string::npos) << run.body;
  auto batch = h.get(base, "/v1/batches/" + id);
  EXPECT_EQ(batch.status, 404) << batch.body;
}

// An async worker posts its result as soon as it has it — right after the dispatcher's `running`
// record, before this instance's view has read it (or the run's index record). Accepted every time.
TEST(ReadCatchUp, AnAsyncResultPostedRightAfterTheRunStartedIsAccepted) {
  ReadHarness h(4);
  const std::string base = h.startIngest();
  for (int i = 0; i < 30; ++i) {
    batchrun::Run run = h.makeRun("project-a", "", i, 0);
    h.produceLane({run});
    h.transition(run, RunStatus::kRunning);
    auto r = h.post(base, "/v1/runs/" + run.run_id + "/result", R"({"status":"completed","output":{"i":1}})");
    EXPECT_EQ(r.status, 202) << "run " << i << ": " << r.body;
  }
}

TEST(ReadCatchUp, TheSameResultTwiceGetsTheSameAnswerAndAResultForAnOverAttemptIs409) {
  ReadHarness h(4);
  const std::string base = h.startIngest();
  batchrun::Run run = h.makeRun("project-a", "", 1, 0);
  h.produceLane({run});
  h.transition(run, RunStatus::kRunning);
  const std::string result = R"({"status":"completed","output":{"ok":true},"attempt":1})";
  auto first = h.post(base, "/v1/runs/" + run.run_id + "/result", result);
  ASSERT_EQ(first.status, 202) << first.body;
  h.transition(run, RunStatus::kCompleted);  // what the dispatcher writes on applying it: output {"ok":true}
  ASSERT_TRUE(waitFor([&] { return h.get(base, "/v1/runs/" + run.run_id).body.find("\"completed\"") != std::string::npos; }, 30s));
  auto again = h.post(base, "/v1/runs/" + run.run_id + "/result", result);
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.body, first.body);
  auto other = h.post(base, "/v1/runs/" + run.run_id + "/result", R"({"status":"completed","output":{"ok":false}})");
  EXPECT_EQ(other.status, 409) << other.body;

  batchrun::Run retried = h.makeRun("project-a", "", 2, 0);
  h.produceLane({retried});
  h.transition(retried, RunStatus::kRunning);
  h.transition(retried, RunStatus::kRetrying);
  h.transition(retried, RunStatus::kRunning);  // attempt 2
  auto stale = h.post(base, "/v1/runs/" + retried.run_id + "/result", R"({"status":"completed","attempt":1})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(stale.body.find("attempt_over"), std::string::npos) << stale.body;
  auto current = h.post(base, "/v1/runs/" + retried.run_id + "/result", R"({"status":"completed","attempt":2})");
  EXPECT_EQ(current.status, 202) << current.body;

  batchrun::Run queued = h.makeRun("project-a", "", 3, 0);
  h.produceLane({queued});
  auto early = h.post(base, "/v1/runs/" + queued.run_id + "/result", R"({"status":"completed"})");
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_NE(early.body.find("run_not_started"), std::string::npos) << early.body;
}

TEST(ReadCatchUp, CancelsOfWhatAnotherInstanceJustAcceptedAreTakenAndThoseOfEndedRunsAre409) {
  ReadHarness h(4);
  const std::string first = h.startIngest();
  const std::string second = h.startIngest();
  for (int i = 0; i < 20; ++i) {
    auto accepted = h.post(first, "/v1/batches",
                           R"({"workflow_id":"wf","runs":[{"input":{},"destination":"http://127.0.0.1:9/r"}]})");
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    auto d = parse(accepted.body);
    const std::string run = d["runs"][0]["run_id"].GetString();
    const std::string batch = d["batch_id"].GetString();
    auto c = i % 2 ? h.post(second, "/v1/runs/" + run + "/cancel", "") : h.post(second, "/v1/batches/" + batch + "/cancel", "");
    EXPECT_EQ(c.status, 202) << "round " << i << ": " << c.body;
  }
  // A run that ended a moment ago, though this instance's view still shows it queued: 409, not 202.
  for (int i = 0; i < 10; ++i) {
    batchrun::Run run = h.makeRun("project-a", "", i, 0);
    h.produceLane({run});
    ASSERT_TRUE(waitFor([&] { return h.get(second, "/v1/runs/" + run.run_id).status == 200; }, 30s));
    h.transition(run, RunStatus::kRunning);
    h.transition(run, RunStatus::kCompleted);
    auto c = h.post(second, "/v1/runs/" + run.run_id + "/cancel", "");
    EXPECT_EQ(c.status, 409) << "run " << i << ": " << c.body;
  }
}

}  // namespace
