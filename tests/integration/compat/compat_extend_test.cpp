// Extend dialect against the running system: the batch bodies of Extend's "Batch Run Workflow"
// reference (current and older API versions), runs listed and read in Extend's shapes until
// PROCESSED, priority, cancel, Extend's error shapes (404/405 too), and the batch through /v1.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
  // The worker's answer (the demo worker's echo of the input) is the one step run's result.
  EXPECT_FALSE(one.HasMember("output"));
  ASSERT_EQ(one["stepRuns"].Size(), 1u);
  EXPECT_STREQ(one["stepRuns"][0]["stepType"].GetString(), "EXTERNAL_DATA_VALIDATION");
  EXPECT_TRUE(one["stepRuns"][0]["result"]["response"]["data"]["echo"].IsObject());
  EXPECT_TRUE(one["dashboardUrl"].IsString());
  EXPECT_FALSE(one["reviewed"].GetBool());
  EXPECT_EQ(one["files"].Size(), 1u);

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

// A worker that takes connections and never answers (the kernel completes the handshakes of a
// listening socket nobody accepts on): a run sent to it stays PROCESSING until it is cancelled.
class SilentWorker {
 public:
  SilentWorker() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "could not listen";
      return;
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentWorker() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/run"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(CompatExtend, SdkInputShapesPriorityAndCancel) {
  auto& sys = CompatSystem::get();
  SilentWorker silent;
  auto put = sys.call("PUT", "/v1/workflows/wf_extend_silent", R"({"endpoint": ")" + silent.url() + R"("})",
                      {{"Authorization", bearer()}});
  ASSERT_LT(put.status, 300) << put.body;
  // What the SDK sends: file {url}, {id}, {text}, and a priority. Sent again while the instance
  // it reaches has not read the registration yet (another instance took the PUT: the lb topology).
  HttpResponse r;
  waitFor(
      [&] {
        r = sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_extend_silent"}, "priority": 20,
            "inputs": [{"file": {"text": "Invoice #3", "name": "inv3.txt"}, "metadata": {"n": 1}},
                       {"file": {"id": "file_abc"}}]})",
                     extendHeaders());
        return r.status != 400 || r.body.find("is not registered") == std::string::npos;
      },
      30s);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string batch = parseJson(r.body)["batchId"].GetString();
  auto list = waitBatch(batch, 2, "PROCESSING");
  ASSERT_TRUE(list.IsObject()) << "the runs did not start";
  std::string text_run;
  for (auto& run : list["data"].GetArray()) {
    EXPECT_EQ(run["priority"].GetInt(), 20);
    if (run["files"][0]["name"] == "inv3.txt") text_run = run["id"].GetString();
  }
  ASSERT_FALSE(text_run.empty());
  // The priority's lane, as /v1 shows it (BATCHRUN_LANES' default: 1..25 is `high`).
  EXPECT_STREQ(sys.run(text_run)["lane"].GetString(), "high");

  r = sys.call("POST", "/workflow_runs/" + text_run + "/cancel", {}, extendHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  auto cancelled = parseJson(r.body);
  EXPECT_STREQ(cancelled["object"].GetString(), "workflow_run");
  EXPECT_STREQ(cancelled["id"].GetString(), text_run.c_str());
  const std::string status = cancelled["status"].GetString();
  EXPECT_TRUE(status == "CANCELLING" || status == "CANCELLED") << status;
  auto v1 = sys.waitTerminal(text_run);
  ASSERT_TRUE(v1.IsObject());
  EXPECT_STREQ(v1["status"].GetString(), "cancelled");
  // Through the Extend route too (waited for: behind nginx the other instance may not have read it yet).
  EXPECT_TRUE(waitFor(
      [&] {
        auto one = parseJson(sys.call("GET", "/workflow_runs/" + text_run, {}, extendHeaders()).body);
        return one.IsObject() && one.HasMember("status") && one["status"] == "CANCELLED";
      },
      30s));
  // Cancelling it again, or an unknown run: Extend's error shape.
  r = sys.call("POST", "/workflow_runs/" + text_run + "/cancel", {}, extendHeaders());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_STREQ(parseJson(r.body)["code"].GetString(), "INVALID_REQUEST");
  r = sys.call("POST", "/workflow_runs/0190aaaa-0000-7000-8000-000000000000/cancel", {}, extendHeaders("2024-12-23"));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_FALSE(parseJson(r.body)["success"].GetBool());
  // The other run is not left running on the silent worker.
  for (auto& run : list["data"].GetArray()) {
    const std::string id = run["id"].GetString();
    if (id != text_run) {
      EXPECT_EQ(sys.call("POST", "/workflow_runs/" + id + "/cancel", {}, extendHeaders()).status, 200);
    }
  }
  EXPECT_TRUE(waitBatch(batch, 2, "CANCELLED").IsObject());
}

TEST(CompatExtend, UnknownRoutesAndMethodsInExtendShape) {
  auto& sys = CompatSystem::get();
  auto r = sys.call("GET", "/workflow_runs/x/outputs", {}, extendHeaders());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_STREQ(parseJson(r.body)["code"].GetString(), "NOT_FOUND");
  r = sys.call("DELETE", "/workflow_runs/x", {}, extendHeaders());
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(r.headers["allow"], "GET") << r.body;
  EXPECT_STREQ(parseJson(r.body)["code"].GetString(), "METHOD_NOT_ALLOWED");
  r = sys.call("GET", "/workflow_runs/x/cancel", {}, extendHeaders());
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(r.headers["allow"], "POST");
  r = sys.call("POST", "/workflow_runs", R"({"workflow": {"id": "wf_1234567890"}})", extendHeaders("2025-04-21"));
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_FALSE(parseJson(r.body)["success"].GetBool());
  r = sys.call("POST", "/workflow_runs/batch", R"({"workflow": {"id": "wf_1234567890"}, "priority": 0,
      "inputs": [{"file": {"url": "https://example.com/a.pdf"}}]})",
               extendHeaders());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_STREQ(parseJson(r.body)["details"][0]["field"].GetString(), "priority");
}

}  // namespace
}  // namespace batchrun::testing
