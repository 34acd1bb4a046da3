#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/common/records/run.hpp"

using namespace batchrun;

TEST(RunCodec, RoundTripsEveryField) {
  batchrun::Run r;
  r.run_id = "0190a0b0-0000-7000-8000-000000000001";
  r.batch_id = "b1";
  r.project = "default";
  r.workflow_id = "demo";
  r.input = R"({"x":[1,2,{"y":"z"}]})";
  r.metadata = R"({"customer":"acme"})";
  r.priority = 90;
  r.lane = "bulk";
  r.queue = "q";
  r.queue_limit = 4;
  r.concurrency_key = "tenant-1";
  r.destination = "http://127.0.0.1:8090/run";
  r.headers = R"({"X-Tenant":"acme"})";
  r.failure_callback = "https://cb.example/failed";
  r.failure_callback_headers = R"({"Authorization":"Bearer cb"})";
  r.external_id = "wfr_order-1";
  r.timeout_seconds = 60;
  r.max_attempts = 5;
  r.created_at = 1700000000123;
  r.batch_size = 1000;
  r.batch_index = 7;
  r.status = RunStatus::kCompleted;
  r.attempt = 2;
  r.started_at = 1700000000200;
  r.completed_at = 1700000000300;
  r.output = R"({"echo":true})";
  r.partition = 3;
  r.version = 4;
  auto back = decodeRun(encodeRun(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(encodeRun(*back), encodeRun(r));
  EXPECT_EQ(back->failure_callback_headers, r.failure_callback_headers);
  EXPECT_EQ(back->external_id, "wfr_order-1");
  EXPECT_EQ(back->routingKey(), "tenant-1");
}

TEST(RunCodec, RoutingKeyFollowsTheDesign) {
  batchrun::Run r;
  r.run_id = "id";
  EXPECT_EQ(r.routingKey(), "id");
  r.queue = "q";
  EXPECT_EQ(r.routingKey(), "id");  // a queue without a limit does not constrain placement
  r.queue_limit = 2;
  EXPECT_EQ(r.routingKey(), "q");
  r.concurrency_key = "k";
  EXPECT_EQ(r.routingKey(), "k");
}

TEST(RunCodec, PublicFieldsAreValidJson) {
  batchrun::Run r;
  r.run_id = "a\"b";
  r.project = "p";
  r.error_code = "worker_error";
  r.error_message = "500 \n boom";
  std::string out = "{";
  appendRunFields(out, r);
  out.back() = '}';
  rapidjson::Document d;
  d.Parse(out.c_str());
  ASSERT_FALSE(d.HasParseError()) << out;
  EXPECT_STREQ(d["run_id"].GetString(), "a\"b");
  EXPECT_STREQ(d["error"]["message"].GetString(), "500 \n boom");
  EXPECT_TRUE(d["batch_id"].IsNull());
}

TEST(RunCodec, RejectsGarbage) {
  EXPECT_FALSE(decodeRun("not json"));
  EXPECT_FALSE(decodeRun("{}"));
  EXPECT_FALSE(decodeRun(R"({"run_id":"a","project":"p","status":"sleeping"})"));
}

#include "batchrun/common/records/control.hpp"
#include "batchrun/common/records/workflow.hpp"

TEST(WorkflowCodec, RoundTrips) {
  Workflow w;
  w.project = "p";
  w.workflow_id = "demo";
  w.endpoint = "http://127.0.0.1:8090/";
  w.concurrency_limit = 10;
  w.queues = {{"emails", 2}};
  auto back = decodeWorkflow(encodeWorkflow(w));
  ASSERT_TRUE(back);
  EXPECT_EQ(encodeWorkflow(*back), encodeWorkflow(w));
  EXPECT_EQ(back->key(), "p/demo");
}

// Found by tests/fuzz (fuzz_workflow_body): the decoder read queue names up to their first NUL, so
// a queue registered as "a\u0000b" came back from the workflows topic as "a".
TEST(WorkflowCodec, AQueueNameWithAnEscapedNulRoundTrips) {
  Workflow w;
  w.project = "p";
  w.workflow_id = "demo";
  w.queues = {{std::string("a\0b", 3), 2}};
  auto back = decodeWorkflow(encodeWorkflow(w));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->queues, w.queues);
}

TEST(ControlCodec, RoundTripsCancelAndResult) {
  ControlMessage c;
  c.run_id = "r1";
  c.project = "p";
  auto back = decodeControl(encodeControl(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, ControlMessage::Type::kCancel);
  ControlMessage res{ControlMessage::Type::kResult, "r2", "p", false, "", "worker_error", "boom", 2, 5};
  auto back2 = decodeControl(encodeControl(res));
  ASSERT_TRUE(back2);
  EXPECT_EQ(encodeControl(*back2), encodeControl(res));
  EXPECT_FALSE(decodeControl(R"({"type":"explode","run_id":"x"})"));
}
