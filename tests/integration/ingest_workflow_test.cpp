// Workflow registration: written to the compacted workflows topic before the answer, readable at
// once, seen by other ingest instances through their followers, scoped to the caller's project,
// deleted with a tombstone; and runs of a registered workflow pick up its queue limits and defaults.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/common/run.hpp"
#include "batchrun/common/workflow.hpp"
#include "ingest_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

TEST(IngestWorkflows, PutGetDeleteThroughKafka) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  const std::string body =
      R"({"endpoint":"http://127.0.0.1:8090/run","concurrency_limit":4,"queues":{"emails":2},"timeout_seconds":60,"max_attempts":5})";
  auto put = c.request("PUT", "/v1/workflows/send-email", body, IngestHarness::jsonHeaders());
  ASSERT_EQ(put.status, 201) << put.body;
  auto again = c.request("PUT", "/v1/workflows/send-email", body, IngestHarness::jsonHeaders());
  EXPECT_EQ(again.status, 200);

  auto records = h.readAll({h.topics.workflows});
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, std::string(kIngestProject) + "/send-email");
  auto w = decodeWorkflow(*records[1].value);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->endpoint, "http://127.0.0.1:8090/run");
  EXPECT_EQ(w->concurrency_limit, 4);
  EXPECT_EQ(w->queues.at("emails"), 2);
  EXPECT_EQ(w->project, kIngestProject);

  auto get = c.request("GET", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders());
  ASSERT_EQ(get.status, 200);
  rapidjson::Document d;
  d.Parse(get.body.c_str());
  EXPECT_EQ(d["max_attempts"].GetInt(), 5);
  // Another project does not see it.
  EXPECT_EQ(c.request("GET", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders(kIngestKeyB)).status, 404);
  // Another instance learns it from the topic.
  size_t other = h.startIngest();
  HttpConnection c2(h.port(other));
  EXPECT_EQ(c2.request("GET", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders()).status, 200);

  // Runs of the workflow route by their limited queue and take its defaults.
  auto run = c.request("POST", "/v1/workflows/send-email/runs", R"({"input":{},"queue":"emails"})",
                       IngestHarness::jsonHeaders());
  ASSERT_EQ(run.status, 201) << run.body;
  auto lanes = h.readLanes();
  ASSERT_EQ(lanes.size(), 1u);
  EXPECT_EQ(lanes[0].key, "emails");
  auto r = decodeRun(*lanes[0].value);
  EXPECT_EQ(r->queue_limit, 2);
  EXPECT_EQ(r->timeout_seconds, 60);
  EXPECT_EQ(r->max_attempts, 5);

  auto del = c.request("DELETE", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(c.request("GET", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders()).status, 404);
  EXPECT_EQ(c.request("DELETE", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders()).status, 404);
  auto after = h.readAll({h.topics.workflows});
  ASSERT_EQ(after.size(), 3u);
  EXPECT_FALSE(after[2].value.has_value()) << "a delete is a tombstone (null value)";
  EXPECT_TRUE(waitFor([&] {
    return c2.request("GET", "/v1/workflows/send-email", {}, IngestHarness::jsonHeaders()).status == 404;
  }, 30s));
}

TEST(IngestWorkflows, BadRegistrationsAre400WithEveryProblem) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto r = c.request("PUT", "/v1/workflows/wf", R"({"endpoint":"ftp://x","max_attempts":0,"x":1})",
                     IngestHarness::jsonHeaders());
  ASSERT_EQ(r.status, 400);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  EXPECT_EQ(d["error"]["details"].Size(), 3u) << r.body;
  EXPECT_EQ(c.request("PUT", "/v1/workflows/bad%20id", R"({"endpoint":"http://h/"})", IngestHarness::jsonHeaders()).status,
            400);
  EXPECT_TRUE(h.readAll({h.topics.workflows}).empty());
}
