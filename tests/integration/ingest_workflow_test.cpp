// Workflow registration: written to the compacted workflows topic before the answer, readable at
// once, seen by other ingest instances through their followers, scoped to the caller's project,
// deleted with a tombstone; runs of a registered workflow pick up its queue limits and defaults, and
// runs of an unregistered one are refused unless they carry their own destination.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "batchrun/common/records/run.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "ingest_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

// The records of one workflow of project-a (the harness registers its own workflows too).
std::vector<KafkaRecord> ofWorkflow(const std::vector<KafkaRecord>& records, const std::string& workflow_id) {
  std::vector<KafkaRecord> out;
  for (const auto& r : records) {
    if (r.key == std::string(kIngestProject) + "/" + workflow_id) out.push_back(r);
  }
  return out;
}

std::set<std::string> detailFields(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  std::set<std::string> out;
  if (!d.IsObject() || !d.HasMember("error")) return out;
  for (const auto& e : d["error"]["details"].GetArray()) {
    out.insert((e.HasMember("index") ? std::to_string(e["index"].GetInt()) + "|" : std::string()) +
               e["field"].GetString());
  }
  return out;
}

}  // namespace

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

  auto records = ofWorkflow(h.readAll({h.topics.workflows}), "send-email");
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
  auto after = ofWorkflow(h.readAll({h.topics.workflows}), "send-email");
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
  // Only the harness's own registrations (its workflows in both projects).
  EXPECT_EQ(h.readAll({h.topics.workflows}).size(), 2 * h.options.workflows.size());
}

TEST(IngestWorkflows, RunsWithNeitherARegisteredWorkflowNorADestinationAre400AndNothingIsProduced) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  const std::string batch = R"({"runs":[{"workflow_id":"wf","input":0},{"workflow_id":"resize","input":1},)"
                            R"({"workflow_id":"resize","input":2,"destination":"https://w.example.com/resize"},)"
                            R"({"workflow_id":"resize","input":3}]})";
  auto r = c.request("POST", "/v1/batches", batch, IngestHarness::jsonHeaders());
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(detailFields(r.body), (std::set<std::string>{"1|runs[1].workflow_id", "3|runs[3].workflow_id"}));
  EXPECT_NE(r.body.find("register it with PUT /v1/workflows/resize or give the item a destination"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\"invalid_request\""), std::string::npos);

  // The single-run route names the path's workflow; with a destination it is accepted.
  auto single = c.request("POST", "/v1/workflows/resize/runs", R"({"input":1})", IngestHarness::jsonHeaders());
  ASSERT_EQ(single.status, 400) << single.body;
  EXPECT_EQ(detailFields(single.body), (std::set<std::string>{"workflow_id"}));
  EXPECT_TRUE(h.readLanes().empty());
  const std::string with_destination = R"({"input":1,"destination":"https://w.example.com/r"})";
  EXPECT_EQ(c.request("POST", "/v1/workflows/resize/runs", with_destination, IngestHarness::jsonHeaders()).status, 201);

  // Registered through this instance: usable at once. Registrations are per project.
  ASSERT_EQ(c.request("PUT", "/v1/workflows/resize", R"({"endpoint":"http://127.0.0.1:9/resize"})",
                      IngestHarness::jsonHeaders())
                .status,
            201);
  EXPECT_EQ(c.request("POST", "/v1/batches", batch, IngestHarness::jsonHeaders()).status, 202);
  EXPECT_EQ(c.request("POST", "/v1/batches", batch, IngestHarness::jsonHeaders(kIngestKeyB)).status, 400);
  EXPECT_EQ(h.readLanes().size(), 5u);

  // Deleted: refused again.
  ASSERT_EQ(c.request("DELETE", "/v1/workflows/resize", {}, IngestHarness::jsonHeaders()).status, 204);
  EXPECT_EQ(c.request("POST", "/v1/batches", batch, IngestHarness::jsonHeaders()).status, 400);
}

TEST(IngestWorkflows, ARegistrationThroughAnotherInstanceCountsOnceItsFollowerHasIt) {
  IngestHarness h;
  h.startIngest();
  size_t other = h.startIngest();
  HttpConnection c0(h.port(0)), c1(h.port(other));
  const std::string run = R"({"input":1})";
  ASSERT_EQ(c1.request("POST", "/v1/workflows/late/runs", run, IngestHarness::jsonHeaders()).status, 400);
  ASSERT_EQ(c0.request("PUT", "/v1/workflows/late", R"({"endpoint":"http://127.0.0.1:9/late"})",
                       IngestHarness::jsonHeaders())
                .status,
            201);
  HttpResponse r;
  EXPECT_TRUE(waitFor([&] {
    r = c1.request("POST", "/v1/workflows/late/runs", run, IngestHarness::jsonHeaders());
    return r.status == 201;
  }, 30s)) << r.status << " " << r.body;
}

TEST(IngestWorkflows, ARetryOfAnAcceptedRequestIsAnsweredEvenAfterItsWorkflowWasDeleted) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  ASSERT_EQ(c.request("PUT", "/v1/workflows/short-lived", R"({"endpoint":"http://127.0.0.1:9/x"})",
                      IngestHarness::jsonHeaders())
                .status,
            201);
  const std::string body = R"({"workflow_id":"short-lived","runs":[{"input":1}]})";
  auto first = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "before-delete"));
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_EQ(c.request("DELETE", "/v1/workflows/short-lived", {}, IngestHarness::jsonHeaders()).status, 204);
  // The runs are in Kafka: a 400 ("nothing was accepted") would be wrong; the retry gets its answer.
  auto retry = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "before-delete"));
  ASSERT_EQ(retry.status, 202) << retry.body;
  rapidjson::Document d1, d2;
  d1.Parse(first.body.c_str());
  d2.Parse(retry.body.c_str());
  EXPECT_STREQ(d1["batch_id"].GetString(), d2["batch_id"].GetString());
  EXPECT_TRUE(d2["runs"][0]["deduplicated"].GetBool());
  // A new request for it is refused.
  EXPECT_EQ(c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "after-delete")).status,
            400);
}
