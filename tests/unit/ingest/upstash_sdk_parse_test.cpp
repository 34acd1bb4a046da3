// What @upstash/workflow's Client sends (POST /v2/batch, DELETE /v2/workflows/runs) as batchrun
// parses it (dialects/upstash.hpp), and which /v2/ paths answer 404 or 405.
#include <gtest/gtest.h>

#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/write/run_ids.hpp"

namespace batchrun::ingest {
namespace {

const RunRequestLimits kLimits{};

// One item as @upstash/workflow 1.3.3's client.trigger({url, body, workflowRunId: "r1", retries: 2})
// sends it: header names lower-cased (a fetch Headers object), the failure callback defaulting to
// the workflow URL.
constexpr const char* kSdkItem = R"([{"destination": "https://w.example/api/wf",
  "headers": {"upstash-workflow-init": "true", "upstash-workflow-runid": "wfr_r1",
    "upstash-workflow-url": "https://w.example/api/wf",
    "upstash-feature-set": "LazyFetch,InitialBody,WF_DetectTrigger,WF_TriggerOnConfig",
    "upstash-workflow-sdk-version": "1", "upstash-forward-upstash-workflow-sdk-version": "1",
    "upstash-telemetry-sdk": "@upstash/workflow@v1.3.2, upstash-qstash-js@2.12.0",
    "upstash-telemetry-runtime": "node@v20", "upstash-retries": "2",
    "upstash-failure-callback": "https://w.example/api/wf",
    "upstash-failure-callback-forward-upstash-workflow-is-failure": "true",
    "upstash-failure-callback-workflow-runid": "wfr_r1", "upstash-failure-callback-workflow-init": "false",
    "upstash-failure-callback-retries": "2", "content-type": "application/json", "upstash-method": "POST"},
  "body": "{\"order\":7}"}])";

TEST(UpstashSdkParse, WorkflowTriggerBecomesTheSameRunAsOnBatchTrigger) {
  auto b = parseUpstashBatch(kSdkItem, kLimits, UpstashEndpoint::kQStashBatch);
  ASSERT_TRUE(b.errors.empty()) << b.errors.front().field << " " << b.errors.front().message;
  ASSERT_EQ(b.items.size(), 1u);
  const UpstashItem& u = b.items[0];
  EXPECT_EQ(u.workflow_run_id, "wfr_r1");  // the SDK's own id, kept
  EXPECT_EQ(u.item.idempotency_key, upstashItemKey("wfr_r1"));
  EXPECT_EQ(u.item.workflow_id, kUpstashWorkflowId);
  EXPECT_EQ(u.item.destination, "https://w.example/api/wf");
  EXPECT_EQ(u.item.input, R"({"order":7})");
  EXPECT_EQ(u.item.max_attempts, 3);
  EXPECT_EQ(u.failure_callback, "https://w.example/api/wf");
  EXPECT_EQ(u.failure_callback_headers, R"({"upstash-workflow-is-failure":"true"})");
  EXPECT_EQ(u.headers, R"({"upstash-workflow-sdk-version":"1"})");

  // The same item on /v2/batch/trigger is the same run.
  auto t = parseUpstashBatch(kSdkItem, kLimits, UpstashEndpoint::kBatchTrigger);
  ASSERT_TRUE(t.errors.empty());
  EXPECT_EQ(t.items[0].item.idempotency_key, u.item.idempotency_key);
  EXPECT_EQ(t.items[0].headers, u.headers);
}

TEST(UpstashSdkParse, DefaultRetriesAreUpstashsThree) {
  // The SDK leaves Upstash-Retries out when retries is 3 (its default): 4 attempts.
  auto b = parseUpstashBatch(R"([{"destination": "https://w.example/a", "headers": {"Upstash-Workflow-Init": "TRUE"}}])",
                             kLimits, UpstashEndpoint::kQStashBatch);
  ASSERT_TRUE(b.errors.empty()) << b.errors.front().message;
  EXPECT_EQ(b.items[0].item.max_attempts, 4);
  EXPECT_EQ(b.items[0].item.input, "null");
  // /v2/batch/trigger keeps batchrun's default.
  auto t = parseUpstashBatch(R"([{"destination": "https://w.example/a"}])", kLimits, UpstashEndpoint::kBatchTrigger);
  EXPECT_EQ(t.items[0].item.max_attempts, 0);
}

TEST(UpstashSdkParse, ForwardedContentTypeIsDroppedOnlyOnBatch) {
  // client.trigger({headers: {"Content-Type": "text/plain", "X-Tenant": "acme"}, failureUrl}).
  constexpr const char* kItem = R"([{"destination": "https://w.example/a", "headers": {
      "upstash-workflow-init": "true", "content-type": "text/plain",
      "upstash-forward-content-type": "text/plain", "upstash-forward-x-tenant": "acme",
      "upstash-failure-callback": "https://w.example/f",
      "upstash-failure-callback-forward-content-type": "text/plain",
      "upstash-failure-callback-forward-x-tenant": "acme"}}])";
  auto b = parseUpstashBatch(kItem, kLimits, UpstashEndpoint::kQStashBatch);
  ASSERT_TRUE(b.errors.empty()) << b.errors.front().field << " " << b.errors.front().message;
  EXPECT_EQ(b.items[0].headers, R"({"x-tenant":"acme"})");
  EXPECT_EQ(b.items[0].failure_callback_headers, R"({"x-tenant":"acme"})");
  // /v2/batch/trigger still refuses it, naming the header.
  auto t = parseUpstashBatch(kItem, kLimits, UpstashEndpoint::kBatchTrigger);
  ASSERT_EQ(t.errors.size(), 2u);
  EXPECT_EQ(t.errors[0].field, "[0].headers.upstash-forward-content-type");
}

TEST(UpstashSdkParse, PlainQStashMessagesAndStepsAreRefusedNamingTheItem) {
  auto b = parseUpstashBatch(R"([{"destination": "https://w.example/a", "headers": {"Upstash-Workflow-Init": "true"}},
      {"destination": "https://w.example/b", "body": "hi"},
      {"destination": "https://w.example/c", "headers": {"upstash-workflow-init": "false"}},
      {"destination": "https://w.example/d", "headers": {"upstash-workflow-init": "yes"}}])",
                             kLimits, UpstashEndpoint::kQStashBatch);
  EXPECT_TRUE(b.items.empty());
  ASSERT_EQ(b.errors.size(), 3u);
  EXPECT_EQ(b.errors[0].index, 1);
  EXPECT_EQ(b.errors[0].field, "[1].headers.Upstash-Workflow-Init");
  EXPECT_NE(b.errors[0].message.find("not plain QStash messages"), std::string::npos) << b.errors[0].message;
  EXPECT_EQ(b.errors[1].index, 2);
  EXPECT_NE(b.errors[1].message.find("workflow step"), std::string::npos);
  EXPECT_EQ(b.errors[2].index, 3);
  // QStash's queue field is not modelled: an unknown field, as on /v2/batch/trigger.
  auto q = parseUpstashBatch(R"([{"destination": "https://w.example/a", "queue": "q",
      "headers": {"Upstash-Workflow-Init": "true"}}])", kLimits, UpstashEndpoint::kQStashBatch);
  ASSERT_EQ(q.errors.size(), 1u);
  EXPECT_EQ(q.errors[0].field, "[0].queue");
}

TEST(UpstashSdkParse, CancelTakesIdsFromTheQueryAndTheBody) {
  // client.cancel("wfr_a") and client.cancel(["wfr_a", ...]) send ?workflowRunIds=… (percent-encoded).
  auto q = parseUpstashCancel({{"workflowRunIds", "wfr_a%2Cwfr_b"}, {"qstash_token", "k"}}, "");
  ASSERT_TRUE(q.errors.empty()) << q.errors.front().field << " " << q.errors.front().message;
  EXPECT_EQ(q.workflow_run_ids, (std::vector<std::string>{"wfr_a", "wfr_b"}));

  auto b = parseUpstashCancel({{"workflowRunIds", "wfr_a"}}, R"({"workflowRunIds": ["wfr_b", "wfr_a", "wfr_c"]})");
  ASSERT_TRUE(b.errors.empty());
  EXPECT_EQ(b.workflow_run_ids, (std::vector<std::string>{"wfr_a", "wfr_b", "wfr_c"}));

  EXPECT_EQ(parseUpstashCancel({}, R"({"workflowRunIds": "wfr_x"})").workflow_run_ids,
            (std::vector<std::string>{"wfr_x"}));
}

TEST(UpstashSdkParse, CancelByFilterOrAllIsRefused) {
  // client.cancel({all: true}) sends only ?count=100; a filter sends workflowUrl, label, ...
  for (const char* name : {"count", "workflowUrl", "label", "all"}) {
    auto c = parseUpstashCancel({{name, "x"}}, "");
    ASSERT_EQ(c.errors.size(), 1u) << name;
    EXPECT_EQ(c.errors[0].field, name);
    EXPECT_NE(c.errors[0].message.find("by workflowRunIds only"), std::string::npos);
    EXPECT_TRUE(c.workflow_run_ids.empty());
  }
  EXPECT_EQ(parseUpstashCancel({}, R"({"workflowUrl": "https://x"})").errors.at(0).field, "workflowUrl");
  EXPECT_EQ(parseUpstashCancel({}, "").errors.at(0).field, "workflowRunIds");
  EXPECT_EQ(parseUpstashCancel({}, "[1]").errors.size(), 1u);
  EXPECT_EQ(parseUpstashCancel({}, R"({"workflowRunIds": [1]})").errors.at(0).field, "workflowRunIds[0]");
  EXPECT_EQ(parseUpstashCancel({{"workflowRunIds", ""}}, "").errors.at(0).field, "workflowRunIds");
}

TEST(UpstashSdkParse, AllowedMethodsUnderV2) {
  EXPECT_EQ(upstashAllowedMethods("/v2/batch"), "POST");
  EXPECT_EQ(upstashAllowedMethods("/v2/batch/trigger/"), "POST");
  EXPECT_EQ(upstashAllowedMethods("/v2/workflows/runs"), "DELETE");
  EXPECT_EQ(upstashAllowedMethods("/v2/workflows/runs/wfr_1"), "DELETE");
  EXPECT_EQ(upstashAllowedMethods("/v2/workflows/runs/wfr_1/x"), "");
  EXPECT_EQ(upstashAllowedMethods("/v2/publish/https://x"), "");
  EXPECT_EQ(upstashAllowedMethods("/v2"), "");
  EXPECT_EQ(upstashAllowedMethods("/v2x/batch"), std::nullopt);
  EXPECT_EQ(upstashAllowedMethods("/v1/runs"), std::nullopt);
}

}  // namespace
}  // namespace batchrun::ingest
