// The dialect parsers and renderers (compat_polos/extend/upstash.hpp): what each product's request
// becomes as RunItems, and the shapes it is answered in.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/common/ids.hpp"
#include "batchrun/ingest/dialects/extend.hpp"
#include "batchrun/ingest/dialects/polos.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/write/run_ids.hpp"

namespace batchrun::ingest {
namespace {

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

const RunRequestLimits kLimits{};

TEST(CompatPolosParse, DefaultsQueueToWorkflowAndKeepsSessionInMetadata) {
  auto p = parsePolosBatch(R"({"workflows": [{"workflow_id": "wf", "payload": {"a": 1}},
      {"workflow_id": "wf", "payload": 2, "queue_name": "q", "queue_concurrency_limit": 3, "concurrency_key": "k",
       "run_timeout_seconds": 9, "initial_state": {"s": 1}}],
      "session_id": "s1", "user_id": null, "step_key": "ignored"})",
                           kLimits);
  ASSERT_TRUE(p.errors.empty()) << p.errors.front().field << " " << p.errors.front().message;
  ASSERT_EQ(p.items.size(), 2u);
  EXPECT_EQ(p.items[0].queue, "wf");
  EXPECT_EQ(p.items[0].input, R"({"a":1})");
  EXPECT_EQ(p.queue_limits, (std::vector<int>{0, 3}));
  EXPECT_EQ(p.items[1].queue, "q");
  EXPECT_EQ(p.items[1].concurrency_key, "k");
  EXPECT_EQ(p.items[1].timeout_seconds, 9);
  auto meta = parse(p.items[1].metadata);
  EXPECT_STREQ(meta["session_id"].GetString(), "s1");
  EXPECT_FALSE(meta.HasMember("user_id"));
  EXPECT_EQ(meta["initial_state"]["s"].GetInt(), 1);
}

TEST(CompatPolosParse, ReportsEveryProblemWithItsIndex) {
  auto p = parsePolosBatch(R"({"workflows": [{"payload": 1}, {"workflow_id": "a b", "payload": 1, "extra": 1}]})",
                           kLimits);
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_EQ(p.errors[0].field, "workflows[0].workflow_id");
  EXPECT_EQ(p.errors[1].index, 1);
  EXPECT_TRUE(p.items.empty());
  EXPECT_FALSE(parsePolosRun(R"({"payload": 1, "otel_traceparent": "x"})", "wf", kLimits).errors.size());
  EXPECT_EQ(parsePolosRun(R"({"input": 1})", "wf", kLimits).errors.size(), 2u);  // unknown input, no payload
}

TEST(CompatPolosParse, ExecutionShape) {
  batchrun::Run r;
  r.run_id = uuidv7();
  r.workflow_id = "wf";
  r.status = RunStatus::kTimedOut;
  r.attempt = 3;
  r.metadata = R"({"session_id":"s"})";
  auto d = parse(polosExecutionJson(r));
  ASSERT_FALSE(d.HasParseError());
  EXPECT_STREQ(d["status"].GetString(), "failed");
  EXPECT_EQ(d["retry_count"].GetInt(), 2);
  EXPECT_STREQ(d["session_id"].GetString(), "s");
  EXPECT_STREQ(d["queue_name"].GetString(), "wf");
  EXPECT_TRUE(d["error"].IsString());
  auto e = parse(polosErrorBody(403, "no", {}));
  EXPECT_STREQ(e["error_type"].GetString(), "FORBIDDEN");
}

TEST(CompatPolosParse, AllowedMethodsUnderApiV1) {
  EXPECT_FALSE(polosAllowedMethods("/v1/runs"));
  EXPECT_FALSE(polosAllowedMethods("/api/v1x/workflows/batch_run"));
  EXPECT_FALSE(polosAllowedMethods("/internal/executions/x/complete"));
  EXPECT_EQ(polosAllowedMethods("/api/v1/workflows/batch_run"), "POST");
  EXPECT_EQ(polosAllowedMethods("/api/v1/workflows/my_workflow/run/"), "POST");
  EXPECT_EQ(polosAllowedMethods("/api/v1/workflows/batch_run/run"), "POST");  // workflow "batch_run"
  EXPECT_EQ(polosAllowedMethods("/api/v1/executions/e1"), "GET");
  EXPECT_EQ(polosAllowedMethods("/api/v1/executions/e1/cancel"), "POST");
  for (const char* none : {"/api/v1", "/api/v1/", "/api/v1/workflows", "/api/v1/workflows/wf",
                           "/api/v1/workflows/wf/runs", "/api/v1/executions", "/api/v1/executions/e1/steps",
                           "/api/v1/executions//cancel", "/api/v1/schedules", "/api/v1/events/publish"}) {
    EXPECT_EQ(polosAllowedMethods(none), "") << none;
  }
  EXPECT_STREQ(parse(polosErrorBody(405, "no", {}))["error_type"].GetString(), "METHOD_NOT_ALLOWED");
}

TEST(CompatExtendParse, BothShapesPriority90) {
  EXPECT_FALSE(extendLegacy(""));
  EXPECT_FALSE(extendLegacy("2026-02-09"));
  EXPECT_TRUE(extendLegacy("2025-04-21"));
  auto b = parseExtendBatch(R"({"workflow": {"id": "wf_1", "version": "3"},
      "inputs": [{"file": {"url": "https://x/a.pdf"}, "metadata": {"c": 1}}, {"rawText": "t"}]})",
                            false, kLimits);
  ASSERT_TRUE(b.errors.empty());
  EXPECT_EQ(b.items[0].input, R"({"file":{"url":"https://x/a.pdf"}})");
  EXPECT_EQ(b.items[0].metadata, R"({"c":1})");
  EXPECT_EQ(b.items[1].priority, 90);
  EXPECT_EQ(b.items[1].workflow_id, "wf_1");
  auto old = parseExtendBatch(R"({"workflowId": "wf_1", "inputs": [{"file": {"fileUrl": "https://x"}}]})", true, kLimits);
  EXPECT_TRUE(old.errors.empty());
  EXPECT_FALSE(parseExtendBatch(R"({"workflowId": "wf_1", "inputs": [{"rawText": "x"}]})", false, kLimits).errors.empty());
}

TEST(CompatExtendParse, ListQueryAndStatuses) {
  auto q = parseExtendList({{"batchId", "b"}, {"status", "PROCESSED"}, {"maxPageSize", "1000"}, {"sortBy", "createdAt"}});
  ASSERT_TRUE(q.errors.empty());
  EXPECT_EQ(q.query.limit, 1000);
  EXPECT_EQ(*q.query.status, RunStatus::kCompleted);
  EXPECT_EQ(parseExtendList({{"maxPageSize", "0"}, {"status", "DONE"}, {"x", "1"}}).errors.size(), 3u);
  EXPECT_STREQ(extendStatus(RunStatus::kRetrying), "PROCESSING");
  auto legacy = parse(extendErrorBody(true, 400, "bad", {{1, "inputs[1]", "m"}}));
  EXPECT_FALSE(legacy["success"].GetBool());
  EXPECT_EQ(legacy["details"][0]["index"].GetInt(), 1);
  EXPECT_STREQ(parse(extendErrorBody(false, 429, "slow", {}))["code"].GetString(), "RATE_LIMIT_EXCEEDED");
}

TEST(CompatUpstashParse, HeadersMapOntoTheRun) {
  auto b = parseUpstashBatch(R"([{"destination": "https://w.example/api", "body": "{\"a\":1}",
      "headers": {"Upstash-Workflow-RunId": "r1", "Upstash-Retries": "4", "Upstash-Flow-Control-Key": "k",
                  "Upstash-Flow-Control-Value": "parallelism=2, rate=10", "Upstash-Forward-X-T": "v",
                  "Upstash-Failure-Callback": "https://cb.example/f", "Upstash-Failure-Callback-Forward-Authorization": "Bearer cb",
                  "Upstash-Delay": "10s", "Content-Type": "x"}},
      {"destination": "https://w.example/api", "body": "not json"}])",
                             kLimits);
  ASSERT_TRUE(b.errors.empty()) << b.errors.front().field << " " << b.errors.front().message;
  const auto& u = b.items[0];
  EXPECT_EQ(u.workflow_run_id, "wfr_r1");
  EXPECT_EQ(u.item.idempotency_key, "upstash/wfr_r1");
  EXPECT_EQ(u.item.max_attempts, 5);
  EXPECT_EQ(u.item.concurrency_key, "k");
  EXPECT_EQ(u.item.queue, "upstash-flow-control");
  EXPECT_EQ(u.parallelism, 2);
  EXPECT_EQ(u.headers, R"({"X-T":"v"})");
  EXPECT_EQ(u.failure_callback, "https://cb.example/f");
  EXPECT_EQ(u.failure_callback_headers, R"({"Authorization":"Bearer cb"})");  // not sent to the worker
  EXPECT_EQ(b.items[1].failure_callback_headers, "{}");
  EXPECT_EQ(u.item.input, R"({"a":1})");
  EXPECT_EQ(u.item.workflow_id, "upstash");
  EXPECT_EQ(b.items[1].item.input, R"("not json")");
  EXPECT_TRUE(b.items[1].workflow_run_id.empty());
}

TEST(CompatUpstashParse, ErrorsNameTheItem) {
  auto b = parseUpstashBatch(R"([{"body": 1}, {"destination": "https://x", "headers": {"Upstash-Retries": "-1",
      "Upstash-Flow-Control-Value": "parallelism=2"}}])",
                             kLimits);
  ASSERT_GE(b.errors.size(), 4u);
  EXPECT_EQ(b.errors[0].index, 0);
  EXPECT_TRUE(parseUpstashBatch("{}", kLimits).errors.size() == 1);
  EXPECT_TRUE(parseUpstashBatch("[]", kLimits).errors.size() == 1);
}

}  // namespace
}  // namespace batchrun::ingest
