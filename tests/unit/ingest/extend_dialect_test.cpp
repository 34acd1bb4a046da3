// The Extend dialect's parser and renderer against the shapes the official Extend SDKs send and
// expect (extend-ai 1.20.0; tests/sdk/extend drives the SDK itself): every file input shape,
// `priority`, the workflow_run object's required fields, and the routes batchrun has.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/ingest/dialects/extend.hpp"

namespace batchrun::ingest {
namespace {

const RunRequestLimits kLimits{};

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

std::string fields(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.field + ": " + e.message + "; ";
  return out;
}

TEST(ExtendDialectParse, AcceptsEveryFileShapeTheSdksSend) {
  auto b = parseExtendBatch(R"({"workflow": {"id": "wf_1"}, "inputs": [
      {"file": {"url": "https://x/a.pdf", "name": "a.pdf", "settings": {"password": "p"}}},
      {"file": {"id": "file_abc"}},
      {"file": {"text": "Invoice #2", "name": "inv.txt"}, "metadata": {"k": 1}},
      {"file": {"text": ""}},
      {"rawText": "plain"},
      {"file": {"url": "https://x/b.pdf"}, "secrets": {"token": "t"}}]})",
                            false, kLimits);
  ASSERT_TRUE(b.errors.empty()) << fields(b.errors);
  ASSERT_EQ(b.items.size(), 6u);
  EXPECT_EQ(b.items[1].input, R"({"file":{"id":"file_abc"}})");
  EXPECT_EQ(b.items[2].input, R"({"file":{"text":"Invoice #2","name":"inv.txt"}})");
  EXPECT_EQ(b.items[2].metadata, R"({"k":1})");
  EXPECT_EQ(b.items[4].input, R"({"rawText":"plain"})");
  EXPECT_EQ(b.items[5].input, R"({"file":{"url":"https://x/b.pdf"},"secrets":{"token":"t"}})");
  // The older versions' file: fileUrl or fileId, fileName.
  auto old = parseExtendBatch(R"({"workflowId": "wf_1", "inputs": [{"file": {"fileUrl": "https://x", "fileName": "n"}},
      {"file": {"fileId": "file_1"}}, {"rawText": "t"}]})",
                              true, kLimits);
  EXPECT_TRUE(old.errors.empty()) << fields(old.errors);
}

TEST(ExtendDialectParse, RefusesFilesWithoutExactlyOneSourceOrWithUnknownFields) {
  auto b = parseExtendBatch(R"({"workflow": {"id": "wf_1"}, "inputs": [
      {"file": {}},
      {"file": {"url": "https://x", "text": "t"}},
      {"file": {"text": 3}},
      {"file": {"url": ""}},
      {"file": {"url": "https://x", "size": 1}},
      {"file": "https://x"}]})",
                            false, kLimits);
  ASSERT_EQ(b.errors.size(), 6u) << fields(b.errors);
  EXPECT_TRUE(b.items.empty());
  EXPECT_EQ(b.errors[0].field, "inputs[0].file");
  EXPECT_EQ(b.errors[1].field, "inputs[1].file");
  EXPECT_EQ(b.errors[2].field, "inputs[2].file.text");
  EXPECT_EQ(b.errors[3].field, "inputs[3].file.url");
  EXPECT_EQ(b.errors[4].field, "inputs[4].file.size");
  EXPECT_EQ(b.errors[4].message, "unknown field");
  EXPECT_EQ(b.errors[5].index, 5);
}

TEST(ExtendDialectParse, PriorityIsExtendsScaleDefault90) {
  auto with = parseExtendBatch(R"({"workflow": {"id": "wf_1"}, "priority": 10, "inputs": [{"rawText": "a"}, {"rawText": "b"}]})",
                               false, kLimits);
  ASSERT_TRUE(with.errors.empty()) << fields(with.errors);
  EXPECT_EQ(with.items[0].priority, 10);
  EXPECT_EQ(with.items[1].priority, 10);
  for (const char* p : {"1", "100", "null"}) {
    auto b = parseExtendBatch(std::string(R"({"workflow": {"id": "wf_1"}, "priority": )") + p +
                                  R"(, "inputs": [{"rawText": "a"}]})",
                              false, kLimits);
    ASSERT_TRUE(b.errors.empty()) << p << " " << fields(b.errors);
    EXPECT_EQ(b.items[0].priority, std::string(p) == "null" ? kExtendPriority : std::stoi(p));
  }
  EXPECT_EQ(parseExtendBatch(R"({"workflowId": "wf_1", "priority": 5, "inputs": [{"rawText": "a"}]})", true, kLimits)
                .items[0]
                .priority,
            5);
  for (const char* p : {"0", "101", "2.5", "\"1\"", "-3"}) {
    auto b = parseExtendBatch(std::string(R"({"workflow": {"id": "wf_1"}, "priority": )") + p +
                                  R"(, "inputs": [{"rawText": "a"}]})",
                              false, kLimits);
    ASSERT_EQ(b.errors.size(), 1u) << p;
    EXPECT_EQ(b.errors[0].field, "priority");
    EXPECT_EQ(b.errors[0].index, -1);
  }
}

batchrun::Run processedRun() {
  batchrun::Run r;
  r.run_id = "0190aaaa-0000-7000-8000-000000000001";
  r.batch_id = "batch_1";
  r.workflow_id = "wf_1";
  r.input = R"({"file":{"url":"https://x/docs/inv%201.pdf?sig=abc"}})";
  r.metadata = R"({"c":1})";
  r.priority = 10;
  r.status = RunStatus::kCompleted;
  r.output = R"({"total":10})";
  r.created_at = 1'700'000'000'000;
  r.started_at = 1'700'000'001'000;
  r.completed_at = 1'700'000'002'000;
  r.updated_at = r.completed_at;
  return r;
}

TEST(ExtendDialectRender, RunCarriesEveryFieldTheSdkTypesRequire) {
  Workflow wf;
  wf.workflow_id = "wf_1";
  wf.created_at = 1'600'000'000'000;
  wf.updated_at = 1'650'000'000'000;
  auto d = parse(extendRunJson(processedRun(), {&wf, false}));
  ASSERT_TRUE(d.IsObject());
  // WorkflowRun and WorkflowRunSummary (extend_ai/types): the members without a default.
  for (const char* f : {"object", "id", "workflow", "workflowVersion", "dashboardUrl", "status", "metadata", "files",
                        "reviewed", "stepRuns", "createdAt", "updatedAt"}) {
    EXPECT_TRUE(d.HasMember(f)) << f;
  }
  EXPECT_FALSE(d.HasMember("output"));  // the answer is in the step run
  EXPECT_STREQ(d["workflow"]["name"].GetString(), "wf_1");
  EXPECT_STREQ(d["workflow"]["createdAt"].GetString(), "2020-09-13T12:26:40.000Z");
  EXPECT_STREQ(d["workflowVersion"]["object"].GetString(), "workflow_version");
  EXPECT_STREQ(d["workflowVersion"]["version"].GetString(), "registered");
  EXPECT_STREQ(d["dashboardUrl"].GetString(), "/v1/runs/0190aaaa-0000-7000-8000-000000000001");
  EXPECT_FALSE(d["reviewed"].GetBool());
  EXPECT_EQ(d["priority"].GetInt(), 10);
  EXPECT_TRUE(d["startTime"].IsString());
  EXPECT_TRUE(d["endTime"].IsString());
  ASSERT_EQ(d["files"].Size(), 1u);
  const auto& file = d["files"][0];
  EXPECT_STREQ(file["object"].GetString(), "file");
  EXPECT_STREQ(file["id"].GetString(), "file_0190aaaa-0000-7000-8000-000000000001");
  EXPECT_STREQ(file["name"].GetString(), "inv%201.pdf");
  EXPECT_TRUE(file["metadata"].IsObject());
  ASSERT_EQ(d["stepRuns"].Size(), 1u);
  const auto& step = d["stepRuns"][0];
  EXPECT_STREQ(step["object"].GetString(), "workflow_step_run");
  EXPECT_STREQ(step["stepType"].GetString(), "EXTERNAL_DATA_VALIDATION");
  EXPECT_STREQ(step["status"].GetString(), "PROCESSED");
  EXPECT_STREQ(step["workflowRunId"].GetString(), "0190aaaa-0000-7000-8000-000000000001");
  EXPECT_STREQ(step["step"]["name"].GetString(), "worker");
  EXPECT_EQ(step["result"]["response"]["status"].GetInt(), 200);
  EXPECT_EQ(step["result"]["response"]["data"]["total"].GetInt(), 10);
  EXPECT_EQ(step["files"].Size(), 1u);
}

TEST(ExtendDialectRender, FilesStepsAndStatusesPerInputAndState) {
  batchrun::Run r = processedRun();
  r.input = R"({"file":{"id":"file_abc"}})";
  r.output = "[1,2]";
  auto d = parse(extendRunJson(r));
  EXPECT_STREQ(d["files"][0]["id"].GetString(), "file_abc");
  EXPECT_STREQ(d["files"][0]["name"].GetString(), "file_abc");
  EXPECT_EQ(d["stepRuns"][0]["result"]["response"]["data"]["value"].Size(), 2u);  // not an object: wrapped
  // Without a registration, the workflow's times are the run's.
  EXPECT_STREQ(d["workflow"]["createdAt"].GetString(), d["createdAt"].GetString());

  r.input = R"({"file":{"text":"x","name":"n.txt"}})";
  EXPECT_STREQ(parse(extendRunJson(r))["files"][0]["name"].GetString(), "n.txt");
  r.input = R"({"rawText":"x"})";
  EXPECT_STREQ(parse(extendRunJson(r))["files"][0]["name"].GetString(), (r.run_id + ".txt").c_str());
  r.input = R"({"anything": 1})";  // a run submitted through /v1: no file
  EXPECT_EQ(parse(extendRunJson(r))["files"].Size(), 0u);

  r.status = RunStatus::kRunning;
  r.output.clear();
  d = parse(extendRunJson(r, {nullptr, true}));
  EXPECT_STREQ(d["status"].GetString(), "CANCELLING");
  EXPECT_STREQ(d["stepRuns"][0]["status"].GetString(), "PROCESSING");
  EXPECT_TRUE(d["stepRuns"][0]["result"].IsNull());
  EXPECT_TRUE(d["endTime"].IsNull());
  r.status = RunStatus::kCancelled;
  d = parse(extendRunJson(r, {nullptr, true}));
  EXPECT_STREQ(d["status"].GetString(), "CANCELLED");  // already stopped: no longer "cancelling"
  r.status = RunStatus::kTimedOut;
  d = parse(extendRunJson(r));
  EXPECT_STREQ(d["status"].GetString(), "FAILED");
  EXPECT_STREQ(d["failureReason"].GetString(), "timed_out");
  EXPECT_STREQ(d["stepRuns"][0]["status"].GetString(), "FAILED");
}

TEST(ExtendDialectRoutes, AllowedMethodsUnderThePrefix) {
  EXPECT_EQ(extendAllowedMethods("/v1/runs"), std::nullopt);
  EXPECT_EQ(extendAllowedMethods("/workflow_runsx"), std::nullopt);
  EXPECT_EQ(extendAllowedMethods("/workflow_runs"), "GET");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs/"), "GET");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs/batch"), "GET, POST");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs/abc"), "GET");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs/abc/cancel"), "POST");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs/abc/outputs"), "");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs/abc/cancel/x"), "");
  EXPECT_EQ(extendAllowedMethods("/workflow_runs//cancel"), "");
  auto e = parse(extendErrorBody(false, 405, "no", {}));
  EXPECT_STREQ(e["code"].GetString(), "METHOD_NOT_ALLOWED");
  EXPECT_FALSE(e["retryable"].GetBool());
}

}  // namespace
}  // namespace batchrun::ingest
