// Upstash Workflow dialect against the running system: POST /v2/batch/trigger with the bodies and
// per-item headers of Upstash's reference, all the way to completed runs, run-id dedup, flow
// control, cancel by DELETE, {"error"} answers, and the runs through /v1; POST /v2/batch and the
// bulk cancel as @upstash/workflow sends them (the SDK itself: tests/sdk/upstash/).
#include <gtest/gtest.h>

#include <chrono>

#include "batchrun/common/ids.hpp"
#include "compat_system.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> auth() { return {{"Authorization", bearer()}}; }

TEST(CompatUpstash, BatchTriggerRunsToCompletionAndDeduplicatesRunIds) {
  auto& sys = CompatSystem::get();
  const std::string dest = sys.worker().url("/api/workflow");
  const std::string run_key = "order-" + uuidv7().substr(24);
  const std::string body = R"([
    {"destination": ")" + dest + R"(", "body": "{\"hello\": \"world\"}",
     "headers": {"Upstash-Workflow-RunId": ")" + run_key + R"(", "Upstash-Retries": "2",
                 "Upstash-Forward-X-Tenant": "acme", "Upstash-Failure-Callback": "https://example.com/failed"}},
    {"destination": ")" + dest + R"(", "body": "plain text payload"},
    {"destination": ")" + dest + R"("}
  ])";
  auto r = sys.call("POST", "/v2/batch/trigger", body, auth());
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = parseJson(r.body);
  ASSERT_TRUE(d.IsArray() && d.Size() == 3) << r.body;
  EXPECT_EQ(std::string(d[0]["workflowRunId"].GetString()), "wfr_" + run_key);
  for (auto& item : d.GetArray()) {
    EXPECT_EQ(std::string(item["workflowRunId"].GetString()).substr(0, 4), "wfr_");
    EXPECT_GT(item["workflowCreatedAt"].GetInt64(), 1'600'000'000'000);  // milliseconds
    EXPECT_FALSE(item["deduplicated"].GetBool());
  }
  std::vector<std::string> ids;
  for (auto& item : d.GetArray()) ids.push_back(upstashRunId(item["workflowRunId"].GetString()));
  for (const auto& id : ids) {
    auto run = sys.waitTerminal(id);
    ASSERT_TRUE(run.IsObject()) << "run " << id << " did not finish";
    EXPECT_STREQ(run["status"].GetString(), "completed");
    EXPECT_STREQ(run["workflow_id"].GetString(), "upstash");
  }
  auto first = sys.run(ids[0]);
  EXPECT_STREQ(first["output"]["echo"]["hello"].GetString(), "world");
  EXPECT_EQ(first["max_attempts"].GetInt(), 3);  // Upstash-Retries 2 = 3 attempts
  EXPECT_STREQ(sys.run(ids[1])["output"]["echo"].GetString(), "plain text payload");

  // The same workflowRunId again: not started again.
  r = sys.call("POST", "/v2/batch/trigger",
               R"([{"destination": ")" + dest + R"(", "headers": {"Upstash-Workflow-RunId": ")" + run_key + R"("}}])",
               auth());
  ASSERT_EQ(r.status, 201) << r.body;
  d = parseJson(r.body);
  EXPECT_TRUE(d[0]["deduplicated"].GetBool());
  EXPECT_EQ(std::string(d[0]["workflowRunId"].GetString()), "wfr_" + run_key);
  EXPECT_EQ(sys.worker().requestsByRun()[ids[0]], 1);

  // Visible through /v1 as one batch.
  std::string batch = first["batch_id"].GetString();
  auto b = parseJson(sys.call("GET", "/v1/batches/" + batch, {}, auth()).body);
  EXPECT_EQ(b["total"].GetInt(), 3);
  EXPECT_EQ(b["counts"]["completed"].GetInt(), 3);
}

TEST(CompatUpstash, FlowControlParallelismAndQstashTokenAuth) {
  auto& sys = CompatSystem::get();
  const std::string dest = sys.worker().url("/api/workflow");
  std::string items;
  for (int i = 0; i < 4; ++i) {
    items += std::string(i ? "," : "") + R"({"destination": ")" + dest + R"(", "body": "{\"sleep_ms\": 200, \"i\": )" +
             std::to_string(i) + R"(}", "headers": {"Upstash-Flow-Control-Key": "upstash-serial", "Upstash-Flow-Control-Value": "parallelism=1"}})";
  }
  auto r = sys.call("POST", std::string("/v2/batch/trigger?qstash_token=") + kCompatKey, "[" + items + "]");
  ASSERT_EQ(r.status, 201) << r.body;
  auto answers = parseJson(r.body);
  for (auto& item : answers.GetArray()) {
    auto run = sys.waitTerminal(upstashRunId(item["workflowRunId"].GetString()));
    ASSERT_TRUE(run.IsObject());
    EXPECT_STREQ(run["status"].GetString(), "completed");
  }
  EXPECT_EQ(sys.worker().maxInFlight("upstash-serial"), 1);
}

TEST(CompatUpstash, DeleteCancelsARun) {
  auto& sys = CompatSystem::get();
  auto r = sys.call("POST", "/v2/batch/trigger",
                    R"([{"destination": ")" + sys.worker().url("/w") + R"(", "body": "{\"sleep_ms\": 5000}"}])", auth());
  ASSERT_EQ(r.status, 201) << r.body;
  std::string wfr = parseJson(r.body)[0]["workflowRunId"].GetString();
  r = sys.call("DELETE", "/v2/workflows/runs/" + wfr, {}, auth());
  ASSERT_EQ(r.status, 200) << r.body;
  auto run = sys.waitTerminal(upstashRunId(wfr));
  ASSERT_TRUE(run.IsObject());
  EXPECT_STREQ(run["status"].GetString(), "cancelled");
  r = sys.call("DELETE", "/v2/workflows/runs/wfr_no-such-run", {}, auth());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_TRUE(parseJson(r.body)["error"].IsString());
}

TEST(CompatUpstash, ErrorsInUpstashShape) {
  auto& sys = CompatSystem::get();
  auto check = [](const HttpResponse& r, long status) {
    EXPECT_EQ(r.status, status) << r.body;
    auto d = parseJson(r.body);
    ASSERT_TRUE(d.IsObject() && d.HasMember("error") && d["error"].IsString()) << r.body;
  };
  check(sys.call("POST", "/v2/batch/trigger", R"([{"destination": "https://example.com"}])"), 401);
  check(sys.call("POST", "/v2/batch/trigger?qstash_token=wrong", R"([{"destination": "https://example.com"}])"), 401);
  check(sys.call("POST", "/v2/batch/trigger", R"({"destination": "https://example.com"})", auth()), 400);
  auto r = sys.call("POST", "/v2/batch/trigger",
                    R"([{"destination": "https://example.com"}, {"body": "x"}, {"destination": "ftp://x",
                        "headers": {"Upstash-Flow-Control-Value": "parallelism=abc"}}])",
                    auth());
  check(r, 400);
  std::set<std::string> fields;
  auto problems = parseJson(r.body);
  for (auto& e : problems["details"].GetArray()) fields.insert(e["field"].GetString());
  EXPECT_TRUE(fields.count("[1].destination")) << r.body;
  EXPECT_TRUE(fields.count("[2].destination")) << r.body;
  EXPECT_TRUE(fields.count("[2].headers.Upstash-Flow-Control-Value")) << r.body;
}

TEST(CompatUpstash, QStashBatchTriggersAndBulkCancel) {
  auto& sys = CompatSystem::get();
  const std::string dest = sys.worker().url("/api/workflow");
  const std::string key = uuidv7().substr(24);
  const std::vector<std::string> wfr = {"wfr_bulk-a-" + key, "wfr_bulk-b-" + key};
  std::string items;
  for (const auto& id : wfr) {
    items += std::string(items.empty() ? "" : ",") + R"({"destination": ")" + dest +
             R"(", "body": "{\"sleep_ms\": 5000}", "headers": {"upstash-workflow-init": "true",
               "upstash-workflow-runid": ")" + id + R"(", "upstash-workflow-url": ")" + dest + R"("}})";
  }
  auto r = sys.call("POST", "/v2/batch", "[" + items + "]", auth());
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  ASSERT_TRUE(d.IsArray() && d.Size() == 2) << r.body;
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    EXPECT_EQ(std::string(d[i]["messageId"].GetString()), upstashRunId(wfr[i]));
    EXPECT_EQ(std::string(d[i]["workflowRunId"].GetString()), wfr[i]);
    EXPECT_EQ(std::string(d[i]["url"].GetString()), dest);
    EXPECT_FALSE(d[i]["deduplicated"].GetBool());
  }
  // At once, while the runs may still be queued: both, comma-separated, plus one nobody has.
  r = sys.call("DELETE", "/v2/workflows/runs?workflowRunIds=" + wfr[0] + "%2C" + wfr[1] + "%2Cwfr_none-" + key, {},
               auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseJson(r.body)["cancelled"].GetInt(), 2) << r.body;
  for (const auto& id : wfr) {
    auto run = sys.waitTerminal(upstashRunId(id));
    ASSERT_TRUE(run.IsObject()) << id;
    EXPECT_STREQ(run["status"].GetString(), "cancelled");
  }
  // Ended runs are not counted (a JSON body with the ids: tests/sdk/upstash, this client sends none).
  r = sys.call("DELETE", "/v2/workflows/runs?workflowRunIds=" + wfr[0], {}, auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseJson(r.body)["cancelled"].GetInt(), 0);
  r = sys.call("DELETE", "/v2/workflows/runs?count=100", {}, auth());  // client.cancel({all: true})
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(sys.call("DELETE", "/v2/workflows/runs?workflowRunIds=" + wfr[0]).status, 401);

  // A plain QStash message is refused, naming the item.
  r = sys.call("POST", "/v2/batch", R"([{"destination": ")" + dest + R"(", "body": "hi"}])", auth());
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_STREQ(parseJson(r.body)["details"][0]["field"].GetString(), "[0].headers.Upstash-Workflow-Init");
}

TEST(CompatUpstash, UnservedPathsAndMethodsUnderV2AnswerJson) {
  auto& sys = CompatSystem::get();
  auto r = sys.call("GET", "/v2/batch", {}, auth());
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(r.headers["allow"], "POST");
  EXPECT_NE(r.headers["content-type"].find("application/json"), std::string::npos);
  EXPECT_TRUE(parseJson(r.body)["error"].IsString()) << r.body;
  r = sys.call("GET", "/v2/workflows/runs/wfr_x", {}, auth());
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(r.headers["allow"], "DELETE");
  r = sys.call("POST", "/v2/publish/https://example.com", "{}", auth());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_TRUE(parseJson(r.body)["error"].IsString()) << r.body;
  // Not under /v2/: not the Upstash dialect's answer.
  r = sys.call("GET", "/v2x", {}, auth());
  EXPECT_EQ(r.status, 404);
}

}  // namespace
}  // namespace batchrun::testing
