// Ingest's followers against poison in every topic they read (issue #24 "No poison records"):
// runs.index and runs.state (the run view), workflows (the workflow view), webhooks.endpoints (the
// endpoint view), idempotency and runs.events (the batch event streams). Ingest keeps serving, copies each record to the dead-letter
// topic, counts it, and the next valid record of each topic becomes visible through the API.
#include <gtest/gtest.h>

#include <set>

#include "../read_support.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "poison_support.hpp"
#include "prometheus_text.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

TEST(PoisonRecords, IngestSkipsEveryPoisonRecordAndShowsTheNextRecord) {
  ReadHarness h(1);
  const std::string base = h.startIngest();
  DeadLetters dead(h.settings);
  auto producer = Producer::create(h.settings);
  ASSERT_TRUE(producer) << producer.error().message;
  const Topics& t = h.topics;
  std::map<std::string, size_t> expected;

  expected[t.run_index] = producePoison(**producer, t.run_index, 0, poisonValues(false), uuidv7());
  expected[t.state] = producePoison(**producer, t.state, 0, poisonValues(false), uuidv7());
  expected[t.workflows] = producePoison(**producer, t.workflows, 0, poisonValues(true), "project-a/wf-next");
  expected[t.endpoints] = producePoison(**producer, t.endpoints, 0, poisonValues(true), "ep_poison");
  expected[t.idempotency] = producePoison(**producer, t.idempotency, 0, poisonValues(true), "project-a/key");
  // runs.events (the batch event streams): records of a batch that are not events — headers
  // missing, a value that is not JSON, one nested 100,000 deep. Streamed as they are, they would
  // break every client's stream of the batch.
  {
    const std::string batch = uuidv7();
    std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>> bad = {
        {{{header::kBatchId, batch}}, R"({"type":"workflow_run.completed","data":{}})"},
        {{{header::kBatchId, batch}, {header::kId, "evt_1"}, {header::kType, "workflow_run.completed"}}, "not json"},
        {{{header::kBatchId, batch}, {header::kId, "evt_2"}, {header::kType, "workflow_run.completed"}}, deepJson()},
    };
    for (auto& [headers, value] : bad) {
      OutMessage m;
      m.topic = t.events;
      m.key = uuidv7();
      m.value = value;
      m.partition = 0;
      m.headers = headers;
      m.headers.emplace_back("poison", "events");
      auto r = (*producer)->produceSync(std::move(m));
      ASSERT_TRUE(r && r->ok);
    }
    expected[t.events] = bad.size();
  }
  // A state record that names a run but cannot be read: nested 100,000 deep.
  batchrun::Run deep = h.makeRun("project-a", "", 0, 0);
  deep.input = deepJson();
  deep.status = RunStatus::kCompleted;
  deep.version = 1;
  {
    OutMessage m;
    m.topic = t.state;
    m.key = deep.run_id;
    m.value = encodeRun(deep);
    m.partition = 0;
    auto r = (*producer)->produceSync(std::move(m));
    ASSERT_TRUE(r && r->ok);
    ++expected[t.state];
  }

  // The next valid record of each topic is visible.
  batchrun::Run queued = h.makeRun("project-a", "", 1, 0);
  h.produceLane({queued});  // lane record + runs.index
  batchrun::Run done = h.makeRun("project-a", "", 2, 0);
  h.produceLane({done});
  h.transition(done, RunStatus::kCompleted);  // runs.state
  Workflow wf;
  wf.project = "project-a";
  wf.workflow_id = "wf-next";
  wf.endpoint = "http://127.0.0.1:9/next";
  WebhookEndpoint ep;
  ep.id = newEndpointId();
  ep.project = "project-a";
  ep.url = "https://example.com/hook";
  ep.secrets = {{newWebhookSecret(), 0}};
  ep.created_at = ep.updated_at = 1;
  for (auto [topic, key, value] : {std::tuple{t.workflows, wf.key(), encodeWorkflow(wf)},
                                   std::tuple{t.endpoints, ep.id, encodeEndpoint(ep)}}) {
    OutMessage m;
    m.topic = topic;
    m.key = key;
    m.value = value;
    auto r = (*producer)->produceSync(std::move(m));
    ASSERT_TRUE(r && r->ok);
  }
  EXPECT_TRUE(waitFor([&] { return h.get(base, "/v1/runs/" + queued.run_id).status == 200; }, 30s));
  EXPECT_TRUE(waitFor([&] {
    auto r = h.get(base, "/v1/runs/" + done.run_id);
    return r.status == 200 && r.body.find("\"completed\"") != std::string::npos;
  }, 30s)) << h.get(base, "/v1/runs/" + done.run_id).body;
  EXPECT_TRUE(waitFor([&] { return h.get(base, "/v1/workflows/wf-next").status == 200; }, 30s));
  EXPECT_TRUE(waitFor([&] { return h.get(base, "/v1/webhook-endpoints/" + ep.id).status == 200; }, 30s));
  // The unreadable run is not served (nor a 5xx), and ingest still answers every read.
  EXPECT_EQ(h.get(base, "/v1/runs/" + deep.run_id).status, 404);
  EXPECT_EQ(h.get(base, "/v1/runs").status, 200);
  EXPECT_EQ(h.get(base, "/readyz", nullptr).status, 200);

  for (const auto& [topic, n] : expected) {
    ASSERT_TRUE(waitFor([&, topic = topic, n = n] { return dead.from(topic, "ingest").size() >= n; }, 30s))
        << topic << ": " << dead.from(topic).size() << " of " << n << " copied";
    auto copies = dead.from(topic, "ingest");
    EXPECT_EQ(copies.size(), n) << topic;
    std::set<std::string> offsets;
    for (auto& c : copies) {
      EXPECT_EQ(c.headers["batchrun-dlq-partition"], "0");
      EXPECT_FALSE(c.headers["batchrun-dlq-reason"].empty()) << topic;
      EXPECT_FALSE(c.headers["poison"].empty() && c.key != deep.run_id) << "original headers kept";
      offsets.insert(c.headers["batchrun-dlq-offset"]);
    }
    EXPECT_EQ(offsets.size(), n) << topic;
    EXPECT_EQ(seriesValue(h.app(0).metrics().render(), "batchrun_ingest_poison_records_total{topic=\"" + topic + "\"}"),
              std::optional<double>(static_cast<double>(n)))
        << topic;
  }
}

}  // namespace
