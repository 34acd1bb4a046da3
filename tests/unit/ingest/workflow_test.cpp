// Workflow registration: the strict PUT body parser, the public JSON, and the view's ordering of
// local writes against records the follower reads back.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "batchrun/ingest/admin/workflow_routes.hpp"
#include "batchrun/ingest/admin/workflow_view.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {
bool has(const std::vector<FieldError>& errors, const std::string& field, const std::string& part = "") {
  for (const auto& e : errors) {
    if (e.field == field && e.message.find(part) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST(WorkflowBody, ParsesEveryField) {
  Workflow w;
  auto errors = parseWorkflowBody(
      R"({"endpoint":"http://127.0.0.1:8090/run","concurrency_limit":10,"queues":{"a":2,"b":5},
          "timeout_seconds":120,"max_attempts":4})",
      w);
  ASSERT_TRUE(errors.empty()) << errors[0].field;
  EXPECT_EQ(w.endpoint, "http://127.0.0.1:8090/run");
  EXPECT_EQ(w.concurrency_limit, 10);
  EXPECT_EQ(w.queues, (std::map<std::string, int>{{"a", 2}, {"b", 5}}));
  EXPECT_EQ(w.timeout_seconds, 120);
  EXPECT_EQ(w.max_attempts, 4);
}

TEST(WorkflowBody, ListsEveryProblem) {
  Workflow w;
  auto errors = parseWorkflowBody(
      R"({"concurrency_limit":-1,"queues":{"a":0,"b":"x"},"timeout_seconds":0,"max_attempts":"3","colour":1})", w);
  EXPECT_TRUE(has(errors, "endpoint", "required"));
  EXPECT_TRUE(has(errors, "concurrency_limit"));
  EXPECT_TRUE(has(errors, "queues.a"));
  EXPECT_TRUE(has(errors, "queues.b"));
  EXPECT_TRUE(has(errors, "timeout_seconds"));
  EXPECT_TRUE(has(errors, "max_attempts"));
  EXPECT_TRUE(has(errors, "colour", "unknown"));
  EXPECT_EQ(errors.size(), 7u);
  EXPECT_TRUE(has(parseWorkflowBody(R"({"endpoint":"mailto:x@y"})", w), "endpoint", "http"));
  EXPECT_TRUE(has(parseWorkflowBody(R"({"endpoint":"http://x","queues":[]})", w), "queues", "object"));
  EXPECT_TRUE(has(parseWorkflowBody("[]", w), "", "object"));
}

TEST(WorkflowJson, IsTheRegistrationWithoutTheProject) {
  Workflow w;
  w.project = "secret-project";
  w.workflow_id = "wf";
  w.endpoint = "http://h/run";
  w.queues = {{"q", 3}};
  w.created_at = w.updated_at = 1'700'000'000'000;
  rapidjson::Document d;
  d.Parse(workflowJson(w).c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["workflow_id"].GetString(), "wf");
  EXPECT_EQ(d["queues"]["q"].GetInt(), 3);
  EXPECT_TRUE(d["timeout_seconds"].IsNull());
  EXPECT_FALSE(d.HasMember("project"));
}

TEST(WorkflowView, NewerOffsetsWinAndTombstonesDelete) {
  WorkflowView view;
  Workflow w;
  w.project = "p";
  w.workflow_id = "wf";
  w.endpoint = "http://v2";
  ASSERT_TRUE(view.apply("p/wf", encodeWorkflow(w), 5));  // local write, acknowledged at offset 5
  Workflow old = w;
  old.endpoint = "http://v1";
  ASSERT_TRUE(view.apply("p/wf", encodeWorkflow(old), 4));  // the follower catches up with offset 4
  EXPECT_EQ(view.get("p", "wf")->endpoint, "http://v2");
  EXPECT_FALSE(view.get("other", "wf"));
  ASSERT_TRUE(view.apply("p/wf", "", 6));
  EXPECT_FALSE(view.get("p", "wf"));
  EXPECT_EQ(view.size(), 0u);
  EXPECT_FALSE(view.apply("p/x", "garbage", 7));
}
