// Polos dialect against the running system: requests shaped as in Polos's API reference
// (POST /api/v1/workflows/batch_run, /api/v1/workflows/{id}/run, executions), all the way to
// completed runs, Polos's error shape, and the same runs through /v1.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "compat_system.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> polosHeaders(const char* key = kCompatKey, const char* project = kCompatProject) {
  return {{"Authorization", bearer(key)}, {"X-Project-ID", project}};
}

rapidjson::Document waitExecution(const std::string& id, const char* status) {
  rapidjson::Document out;
  waitFor(
      [&] {
        auto d = parseJson(CompatSystem::get().call("GET", "/api/v1/executions/" + id, {}, polosHeaders()).body);
        if (!d.IsObject() || !d.HasMember("status") || std::string(d["status"].GetString()) != status) return false;
        out.Swap(d);
        return true;
      },
      60s);
  return out;
}

TEST(CompatPolos, BatchRunFromTheApiReferenceCompletesAndIsVisibleThroughV1) {
  auto& sys = CompatSystem::get();
  // SubmitWorkflowsRequest: workflows[] with the documented per-item options, shared
  // session/user ids, and a deprecated field that must be accepted and ignored.
  const std::string body = R"({
    "workflows": [
      {"workflow_id": "process_data", "payload": {"document": "a.pdf"}},
      {"workflow_id": "process_data", "payload": {"document": "b.pdf"}, "initial_state": {"step": 0},
       "concurrency_key": "user-42", "queue_name": "api-calls", "queue_concurrency_limit": 5,
       "run_timeout_seconds": 120}
    ],
    "session_id": "sess-1", "user_id": "user-42", "wait_for_subworkflow": false
  })";
  auto r = sys.call("POST", "/api/v1/workflows/batch_run", body, polosHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  ASSERT_TRUE(d.HasMember("executions") && d["executions"].IsArray()) << r.body;
  ASSERT_EQ(d["executions"].Size(), 2u);
  std::string first = d["executions"][0]["execution_id"].GetString();
  std::string second = d["executions"][1]["execution_id"].GetString();
  EXPECT_TRUE(d["executions"][0]["created_at"].IsString());

  auto e1 = waitExecution(first, "completed");
  ASSERT_TRUE(e1.IsObject()) << "execution did not complete";
  EXPECT_STREQ(e1["workflow_id"].GetString(), "process_data");
  EXPECT_STREQ(e1["result"]["echo"]["document"].GetString(), "a.pdf");
  EXPECT_STREQ(e1["queue_name"].GetString(), "process_data");  // defaults to the workflow id
  EXPECT_EQ(e1["run_timeout_seconds"].GetInt(), 3600);
  EXPECT_STREQ(e1["session_id"].GetString(), "sess-1");
  EXPECT_TRUE(e1["completed_at"].IsString());
  EXPECT_EQ(e1["retry_count"].GetInt(), 0);

  auto e2 = waitExecution(second, "completed");
  ASSERT_TRUE(e2.IsObject());
  EXPECT_STREQ(e2["queue_name"].GetString(), "api-calls");
  EXPECT_STREQ(e2["concurrency_key"].GetString(), "user-42");
  EXPECT_EQ(e2["run_timeout_seconds"].GetInt(), 120);
  EXPECT_STREQ(e2["user_id"].GetString(), "user-42");

  // The same runs through the native API: one batch of two completed runs.
  auto v1 = sys.run(first);
  ASSERT_TRUE(v1.IsObject());
  EXPECT_STREQ(v1["status"].GetString(), "completed");
  std::string batch = v1["batch_id"].GetString();
  EXPECT_EQ(std::string(e1["batch_id"].GetString()), batch);
  auto b = parseJson(sys.call("GET", "/v1/batches/" + batch, {}, {{"Authorization", bearer()}}).body);
  EXPECT_EQ(b["total"].GetInt(), 2);
  EXPECT_EQ(b["counts"]["completed"].GetInt(), 2);
}

TEST(CompatPolos, SingleRunAndQueueConcurrencyLimitPerKey) {
  auto& sys = CompatSystem::get();
  auto r = sys.call("POST", "/api/v1/workflows/my_workflow/run", R"({"payload": {"key": "value"}})", polosHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  ASSERT_TRUE(d.HasMember("execution_id") && d.HasMember("created_at")) << r.body;
  auto e = waitExecution(d["execution_id"].GetString(), "completed");
  ASSERT_TRUE(e.IsObject());
  EXPECT_STREQ(e["result"]["echo"]["key"].GetString(), "value");
  EXPECT_TRUE(e["batch_id"].IsNull());

  // queue_concurrency_limit 1 for one concurrency key: the worker never sees two at once.
  std::string items;
  for (int i = 0; i < 4; ++i) {
    items += std::string(i ? "," : "") + R"({"workflow_id": "process_data", "payload": {"sleep_ms": 200, "i": )" +
             std::to_string(i) + R"(}, "queue_name": "serial", "concurrency_key": "polos-serial", "queue_concurrency_limit": 1})";
  }
  r = sys.call("POST", "/api/v1/workflows/batch_run", R"({"workflows": [)" + items + "]}", polosHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  for (auto& ex : d["executions"].GetArray()) {
    ASSERT_TRUE(waitExecution(ex["execution_id"].GetString(), "completed").IsObject());
  }
  EXPECT_EQ(sys.worker().maxInFlight("polos-serial"), 1);
}

TEST(CompatPolos, CancelAnExecution) {
  auto& sys = CompatSystem::get();
  auto r = sys.call("POST", "/api/v1/workflows/my_workflow/run", R"({"payload": {"sleep_ms": 5000}})", polosHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = parseJson(r.body)["execution_id"].GetString();
  r = sys.call("POST", "/api/v1/executions/" + id + "/cancel", {}, polosHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(waitExecution(id, "cancelled").IsObject());
  r = sys.call("POST", "/api/v1/executions/" + id + "/cancel", {}, polosHeaders());
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST(CompatPolos, ErrorsInPolosShape) {
  auto& sys = CompatSystem::get();
  auto check = [](const HttpResponse& r, long status, const char* type) {
    EXPECT_EQ(r.status, status) << r.body;
    auto d = parseJson(r.body);
    ASSERT_TRUE(d.IsObject() && d.HasMember("error") && d["error"].IsString()) << r.body;
    EXPECT_STREQ(d["error_type"].GetString(), type) << r.body;
  };
  const std::string ok = R"({"workflows": [{"workflow_id": "process_data", "payload": {}}]})";
  check(sys.call("POST", "/api/v1/workflows/batch_run", ok, {{"X-Project-ID", kCompatProject}}), 401, "UNAUTHORIZED");
  check(sys.call("POST", "/api/v1/workflows/batch_run", ok, {{"Authorization", bearer()}}), 400, "BAD_REQUEST");
  check(sys.call("POST", "/api/v1/workflows/batch_run", ok, polosHeaders(kCompatKey, kCompatProjectB)), 403, "FORBIDDEN");
  check(sys.call("GET", "/api/v1/executions/0190aaaa-0000-7000-8000-000000000000", {}, polosHeaders()), 404, "NOT_FOUND");

  // Every problem at once, each naming the item and field; nothing accepted.
  auto r = sys.call("POST", "/api/v1/workflows/batch_run",
                    R"({"workflows": [{"workflow_id": "process_data"}, {"payload": 1, "queue_concurrency_limit": 0}]})",
                    polosHeaders());
  check(r, 400, "BAD_REQUEST");
  auto d = parseJson(r.body);
  std::set<std::string> fields;
  for (auto& e : d["details"].GetArray()) fields.insert(e["field"].GetString());
  EXPECT_TRUE(fields.count("workflows[0].payload")) << r.body;
  EXPECT_TRUE(fields.count("workflows[1].workflow_id")) << r.body;
  EXPECT_TRUE(fields.count("workflows[1].queue_concurrency_limit")) << r.body;
  check(sys.call("POST", "/api/v1/workflows/batch_run", R"({"workflows": []})", polosHeaders()), 400, "BAD_REQUEST");

  // A workflow that is not registered in the project: refused up front, not failed later.
  r = sys.call("POST", "/api/v1/workflows/batch_run",
               R"({"workflows": [{"workflow_id": "process_data", "payload": 1},)"
               R"( {"workflow_id": "nobody", "payload": 2}]})",
               polosHeaders());
  check(r, 400, "BAD_REQUEST");
  d = parseJson(r.body);
  ASSERT_EQ(d["details"].Size(), 1u) << r.body;
  EXPECT_EQ(d["details"][0]["index"].GetInt(), 1);
  EXPECT_STREQ(d["details"][0]["field"].GetString(), "workflows[1].workflow_id");
  EXPECT_NE(std::string(d["error"].GetString()).find("PUT /v1/workflows/nobody"), std::string::npos) << r.body;
  r = sys.call("POST", "/api/v1/workflows/nobody/run", R"({"payload": {}})", polosHeaders());
  check(r, 400, "BAD_REQUEST");
  EXPECT_STREQ(parseJson(r.body)["details"][0]["field"].GetString(), "workflow_id") << r.body;
  // Registrations are per project: proj-b has none of proj-a's.
  check(sys.call("POST", "/api/v1/workflows/my_workflow/run", R"({"payload": {}})",
                 polosHeaders(kCompatKeyB, kCompatProjectB)),
        400, "BAD_REQUEST");

  // Another project's execution is not found, never confirmed.
  r = sys.call("POST", "/api/v1/workflows/my_workflow/run", R"({"payload": {}})", polosHeaders());
  ASSERT_EQ(r.status, 200);
  std::string id = parseJson(r.body)["execution_id"].GetString();
  check(sys.call("GET", "/api/v1/executions/" + id, {}, polosHeaders(kCompatKeyB, kCompatProjectB)), 404, "NOT_FOUND");
}

// Any other path or method under /api/v1 answers in Polos's JSON error shape, not Pistache's
// text/plain: 404 for a path batchrun does not serve, 405 with Allow for one it serves with other methods.
TEST(CompatPolos, UnknownRoutesAndMethodsAnswerInPolosShape) {
  auto& sys = CompatSystem::get();
  auto check = [](const HttpResponse& r, long status, const char* type) {
    EXPECT_EQ(r.status, status) << r.body;
    auto d = parseJson(r.body);
    ASSERT_TRUE(d.IsObject() && d.HasMember("error") && d["error"].IsString()) << r.body;
    EXPECT_STREQ(d["error_type"].GetString(), type) << r.body;
  };
  const std::string id = "0190aaaa-0000-7000-8000-000000000000";
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/schedules"},
           {"POST", "/api/v1/events/publish"},
           {"GET", "/api/v1/workflows"},
           {"POST", "/api/v1/workflows/my_workflow"},
           {"GET", "/api/v1/executions"},
           {"GET", "/api/v1/executions/" + id + "/steps"},
           {"POST", "/api/v1/workers/register"},
           {"GET", "/api/v1"}}) {
    SCOPED_TRACE(method + " " + path);
    auto r = sys.call(method, path, "{}", polosHeaders());
    check(r, 404, "NOT_FOUND");
    EXPECT_NE(r.headers["content-type"].find("application/json"), std::string::npos) << r.headers["content-type"];
  }
  for (const auto& [method, path, allow] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/api/v1/workflows/batch_run", "POST"},
           {"GET", "/api/v1/workflows/my_workflow/run", "POST"},
           {"DELETE", "/api/v1/executions/" + id, "GET"},
           {"POST", "/api/v1/executions/" + id, "GET"},
           {"GET", "/api/v1/executions/" + id + "/cancel", "POST"}}) {
    SCOPED_TRACE(method + " " + path);
    auto r = sys.call(method, path, method == "GET" || method == "DELETE" ? "" : "{}", polosHeaders());
    check(r, 405, "METHOD_NOT_ALLOWED");
    EXPECT_EQ(r.headers["allow"], allow);
  }
  // Paths outside /api/v1 keep whatever answered them before.
  EXPECT_EQ(sys.call("GET", "/api/v1x", {}, polosHeaders()).status, 404);
}

}  // namespace
}  // namespace batchrun::testing
