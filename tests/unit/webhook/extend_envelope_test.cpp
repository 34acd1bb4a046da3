// Extend-dialect webhook bodies (extend_envelope.hpp) from native run events.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/common/dialects/extend_run.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/webhook/extend_envelope.hpp"

namespace batchrun::webhook {
namespace {

Run sampleRun(RunStatus status) {
  Run r;
  r.run_id = "0190aaaa-0000-7000-8000-000000000001";
  r.batch_id = "0190aaaa-0000-7000-8000-0000000000b1";
  r.project = "p";
  r.workflow_id = "wf_1";
  r.metadata = R"({"customerId":"cust_1"})";
  r.input = R"({"rawText":"x"})";
  r.status = status;
  r.attempt = 1;
  r.priority = 90;
  r.created_at = 1767225600000;
  r.started_at = 1767225600250;
  r.updated_at = 1767225601500;
  if (isTerminal(status)) r.completed_at = 1767225601500;
  if (status == RunStatus::kCompleted) r.output = R"({"total":3})";
  if (status == RunStatus::kFailed) {
    r.error_code = "worker_4xx";
    r.error_message = "400 from worker";
  }
  return r;
}

TEST(ExtendEnvelope, OnlyCompletedAndFailedReachExtendEndpoints) {
  EXPECT_TRUE(dialectWants("extend", event_type::kCompleted));
  EXPECT_TRUE(dialectWants("extend", event_type::kFailed));
  EXPECT_TRUE(dialectWants("extend", event_type::kTimedOut));
  EXPECT_FALSE(dialectWants("extend", event_type::kStarted));
  EXPECT_FALSE(dialectWants("extend", "batch.completed"));
  EXPECT_TRUE(dialectWants("native", event_type::kStarted));
}

TEST(ExtendEnvelope, CompletedRunInExtendsShape) {
  auto m = makeRunEvent("events", sampleRun(RunStatus::kCompleted), event_type::kCompleted, 1000);
  auto body = bodyForDialect("extend", "evt_1", event_type::kCompleted, m.value);
  rapidjson::Document d;
  d.Parse(body.c_str());
  ASSERT_FALSE(d.HasParseError()) << body;
  EXPECT_STREQ(d["eventId"].GetString(), "evt_1");
  EXPECT_STREQ(d["eventType"].GetString(), "workflow_run.completed");
  const auto& p = d["payload"];
  EXPECT_STREQ(p["object"].GetString(), "workflow_run");
  EXPECT_STREQ(p["status"].GetString(), "PROCESSED");
  EXPECT_STREQ(p["batchId"].GetString(), "0190aaaa-0000-7000-8000-0000000000b1");
  EXPECT_STREQ(p["metadata"]["customerId"].GetString(), "cust_1");
  // The worker's answer as Extend's step run (docs/compat.md), not a field of batchrun's own.
  EXPECT_FALSE(p.HasMember("output"));
  EXPECT_EQ(p["stepRuns"][0]["result"]["response"]["data"]["total"].GetInt(), 3);
  EXPECT_EQ(bodyForDialect("native", "evt_1", event_type::kCompleted, m.value), m.value);
}

TEST(ExtendEnvelope, FailedAndTimedOutAreWorkflowRunFailed) {
  auto m = makeRunEvent("events", sampleRun(RunStatus::kFailed), event_type::kFailed, 1000);
  rapidjson::Document d;
  d.Parse(bodyForDialect("extend", "evt_2", event_type::kFailed, m.value).c_str());
  EXPECT_STREQ(d["eventType"].GetString(), "workflow_run.failed");
  EXPECT_STREQ(d["payload"]["status"].GetString(), "FAILED");
  EXPECT_STREQ(d["payload"]["failureReason"].GetString(), "worker_4xx");
  auto t = makeRunEvent("events", sampleRun(RunStatus::kTimedOut), event_type::kTimedOut, 1000);
  d.Parse(bodyForDialect("extend", "evt_3", event_type::kTimedOut, t.value).c_str());
  EXPECT_STREQ(d["eventType"].GetString(), "workflow_run.failed");
  EXPECT_STREQ(d["payload"]["failureReason"].GetString(), "timed_out");
}

// The payload is exactly the workflow_run object ingest answers for the run (one renderer), with
// every field the Extend SDKs' types require: nothing is lost on the way through the event.
TEST(ExtendEnvelope, PayloadIsTheRunObjectIngestAnswers) {
  for (RunStatus status : {RunStatus::kCompleted, RunStatus::kFailed, RunStatus::kTimedOut}) {
    const batchrun::Run run = sampleRun(status);
    const auto m = makeRunEvent("events", run, eventTypeFor(status), 1000);
    rapidjson::Document d, expected;
    d.Parse(bodyForDialect("extend", "evt_4", eventTypeFor(status), m.value).c_str());
    ASSERT_TRUE(d.IsObject());
    expected.Parse(extendRunJson(run).c_str());
    EXPECT_TRUE(d["payload"] == expected) << toString(status);
    for (const char* field : {"workflowVersion", "dashboardUrl", "files", "reviewed", "stepRuns", "workflow"}) {
      EXPECT_TRUE(d["payload"].HasMember(field)) << field;
    }
  }
}

}  // namespace
}  // namespace batchrun::webhook
