// Extend-dialect webhook bodies (extend_envelope.hpp) from native run events.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

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
  EXPECT_EQ(p["output"]["total"].GetInt(), 3);
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

}  // namespace
}  // namespace batchrun::webhook
