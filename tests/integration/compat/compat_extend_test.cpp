// Extend dialect against the running system: the batch bodies of Extend's "Batch Run Workflow"
// reference (current and older API versions), runs listed and read in Extend's shapes until
// PROCESSED, Extend's error shapes, and the batch through /v1.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "compat_system.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> extendHeaders(const char* version = "2026-02-09") {
  return {{"Authorization", bearer()}, {"x-extend-api-version", version}};
}

// Every run of the batch through GET /workflow_runs?batchId=, once all are `status`.
rapidjson::Document waitBatch(const std::string& batch_id, size_t n, const char* status,
                              const char* version = "2026-02-09") {
  rapidjson::Document out;
  const bool legacy = std::string(version) < "2026-02-09";
  waitFor(
      [&] {
        auto d = parseJson(CompatSystem::get()
                               .call("GET", "/workflow_runs?batchId=" + batch_id + "&maxPageSize=1000", {},
                                     extendHeaders(version))
                               .body);
        const char* list = legacy ? "workflowRuns" : "data";
        if (!d.IsObject() || !d.HasMember(list) || d[list].Size() != n) return false;
        for (auto& r : d[list].GetArray()) {
          if (std::string(r["status"].GetString()) != status) return false;
        }
        out.Swap(d);
        return true;
      },
      60s);
  return out;
}

TEST(CompatExtend, BatchRunFromTheReferenceIsProcessedWithMetadataAndPriority90) {
  auto& sys = CompatSystem::get();
  // As in Extend's reference: workflow {id}, inputs with file {url} or rawText, and metadata.
  const std::string body = R"({
    "workflow": {"id": "wf_1234567890"},
    "inputs": [
      {"file": {"url": "https://example.com/invoice1.pdf"}, "metadata": {"customerId": "cust_abc123"}},
      {"rawText": "Invoice #2 total 10 EUR", "metadata": {"customerId": "cust_def456"}}
    ]
  })";
  auto r = sys.call("POST", "/workflow_runs/batch", body, extendHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  ASSERT_TRUE(d.HasMember("batchId")) << r.body;
  EXPECT_FALSE(d.HasMember("success"));
  std::string batch = d["batchId"].GetString();

  auto list = waitBatch(batch, 2, "PROCESSED");
  ASSERT_TRUE(list.IsObject()) << "the batch was not processed";
  EXPECT_STREQ(list["object"].GetString(), "list");
  std::set<std::string> customers;
  std::string some_id;
  for (auto& run : list["data"].GetArray()) {
    EXPECT_STREQ(run["batchId"].GetString(), batch.c_str());
    EXPECT_STREQ(run["workflow"]["id"].GetString(), "wf_1234567890");
    EXPECT_EQ(run["priority"].GetInt(), 90);
    customers.insert(run["metadata"]["customerId"].GetString());
    some_id = run["id"].GetString();
  }
  EXPECT_EQ(customers, (std::set<std::string>{"cust_abc123", "cust_def456"}));

  auto one = parseJson(sys.call("GET", "/workflow_runs/" + some_id, {}, extendHeaders()).body);
  ASSERT_TRUE(one.IsObject() && one.HasMember("object"));
  EXPECT_STREQ(one["object"].GetString(), "workflow_run");
  EXPECT_STREQ(one["status"].GetString(), "PROCESSED");
  EXPECT_TRUE(one["output"].IsObject());  // the demo worker's echo of the input

  // Paging with nextPageToken, Extend's parameter names.
  auto p1 = parseJson(sys.call("GET", "/workflow_runs?batchId=" + batch + "&maxPageSize=1", {}, extendHeaders()).body);
  ASSERT_EQ(p1["data"].Size(), 1u);
  ASSERT_TRUE(p1["nextPageToken"].IsString());
  auto p2 = parseJson(sys.call("GET", "/workflow_runs?batchId=" + batch + "&maxPageSize=1&nextPageToken=" +
                                          p1["nextPageToken"].GetString(), {}, extendHeaders()).body);
  ASSERT_EQ(p2["data"].Size(), 1u);
  EXPECT_STRNE(p1["data"][0]["id"].GetString(), p2["data"][0]["id"].GetString());
  auto filtered = parseJson(sys.call("GET", "/workflow_runs?batchId=" + batch + "&status=FAILED", {}, extendHeaders()).body);
  EXPECT_EQ(filtered["data"].Size(), 0u);

  // The same batch through /v1.
  auto b = parseJson(sys.call("GET", "/v1/batches/" + batch, {}, {{"Authorization", bearer()}}).body);
  EXPECT_EQ(b["total"].GetInt(), 2);
  EXPECT_EQ(b["counts"]["completed"].GetInt(), 2);
}

TEST(CompatExtend, OlderApiVersionShape) {
  auto& sys = CompatSystem::get();
  // The 2024-12-23 body: workflowId at the top, file {fileUrl}.
  const std::string body = R"({
    "workflowId": "wf_1234567890",
    "version": "draft",
    "inputs": [{"file": {"fileUrl": "https://example.com/invoice.pdf", "fileName": "invoice.pdf"},
                "metadata": {"orderId": "o-1"}}]
  })";
  auto r = sys.call("POST", "/workflow_runs/batch", body, extendHeaders("2024-12-23"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  EXPECT_TRUE(d["success"].GetBool());
  std::string batch = d["batchId"].GetString();
  auto list = waitBatch(batch, 1, "PROCESSED", "2024-12-23");
  ASSERT_TRUE(list.IsObject());
  EXPECT_TRUE(list["success"].GetBool());
  std::string id = list["workflowRuns"][0]["id"].GetString();
  auto one = parseJson(sys.call("GET", "/workflow_runs/" + id, {}, extendHeaders("2024-12-23")).body);
  EXPECT_TRUE(one["success"].GetBool());
  EXPECT_STREQ(one["workflowRun"]["metadata"]["orderId"].GetString(), "o-1");
  // The current shape's body under the older version is an error naming the missing field.
  r = sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_1234567890"}, "inputs": [{"rawText": "x"}]})",
               extendHeaders("2024-12-23"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(parseJson(r.body)["success"].GetBool());
}

TEST(CompatExtend, ErrorsInExtendShape) {
  auto& sys = CompatSystem::get();
  auto check = [](const HttpResponse& r, long status, const char* code) {
    EXPECT_EQ(r.status, status) << r.body;
    auto d = parseJson(r.body);
    ASSERT_TRUE(d.IsObject() && d.HasMember("code")) << r.body;
    EXPECT_STREQ(d["code"].GetString(), code);
    EXPECT_TRUE(d["message"].IsString());
    EXPECT_TRUE(d["retryable"].IsBool());
  };
  check(sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_1"}, "inputs": []})", extendHeaders()),
        400, "INVALID_REQUEST");
  check(sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_1"}, "inputs": [{"rawText": "x"}]})",
                 {{"x-extend-api-version", "2026-02-09"}}),
        401, "UNAUTHORIZED");
  check(sys.call("GET", "/workflow_runs?maxPageSize=1001", {}, extendHeaders()), 400, "INVALID_REQUEST");
  check(sys.call("GET", "/workflow_runs/0190aaaa-0000-7000-8000-000000000000", {}, extendHeaders()), 404, "NOT_FOUND");
  std::string inputs;
  for (int i = 0; i < 1001; ++i) inputs += std::string(i ? "," : "") + R"({"rawText": "x"})";
  check(sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_1"}, "inputs": [)" + inputs + "]}",
                 extendHeaders()),
        400, "INVALID_REQUEST");
  auto r = sys.call("POST", "/workflow_runs/batch",
                    R"({"workflow": {"id": "wf_1"}, "inputs": [{"rawText": "a"}, {"rawText": "b", "file": {"url": "https://x"}}, {"metadata": 3}]})",
                    extendHeaders());
  check(r, 400, "INVALID_REQUEST");
  std::set<int> indexes;
  auto problems = parseJson(r.body);
  for (auto& e : problems["details"].GetArray()) {
    if (e.HasMember("index")) indexes.insert(e["index"].GetInt());
  }
  EXPECT_EQ(indexes, (std::set<int>{1, 2})) << r.body;

  // A workflow that is not registered in the project: one problem, on the request's workflow field.
  r = sys.call("POST", "/workflow_runs/batch",
               R"({"workflow": {"id": "wf_1"}, "inputs": [{"rawText": "a"}, {"rawText": "b"}]})", extendHeaders());
  check(r, 400, "INVALID_REQUEST");
  auto d = parseJson(r.body);
  ASSERT_EQ(d["details"].Size(), 1u) << r.body;
  EXPECT_STREQ(d["details"][0]["field"].GetString(), "workflow.id");
  EXPECT_NE(std::string(d["message"].GetString()).find("PUT /v1/workflows/wf_1"), std::string::npos) << r.body;
  EXPECT_EQ(parseJson(sys.call("GET", "/workflow_runs?workflowId=wf_1", {}, extendHeaders()).body)["data"].Size(), 0u);
}

}  // namespace
}  // namespace batchrun::testing
