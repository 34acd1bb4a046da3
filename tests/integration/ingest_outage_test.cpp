// Ingest against its own single-broker cluster that goes down and comes back: while it is down every
// write is 503 with Retry-After and nothing is accepted, and reading a run whose record is not
// cached is 503 too (its record is in Kafka); afterwards the client's retry with the same Idempotency-Key is accepted with the same ids,
// and each run is in Kafka once.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <set>

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/records/run.hpp"
#include "ingest_support.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

const int kPort = 29192;
const std::string kDir = "/tmp/batchrun-ingest-outage-test";

int kafka(const std::string& args) {
  std::string cmd = sourceDir() + "/scripts/kafka " + args + " --dir " + kDir + " >>" + kDir + ".log 2>&1";
  return std::system(cmd.c_str());
}

class IngestOutage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kafka("stop");
    std::system(("rm -rf " + kDir).c_str());
    ASSERT_EQ(kafka("start --port " + std::to_string(kPort)), 0) << "see " << kDir << ".log";
  }
  static void TearDownTestSuite() { kafka("stop"); }
};

}  // namespace

TEST_F(IngestOutage, WritesAre503WhileKafkaIsDownAndTheRetryIsAcceptedOnceItIsBack) {
  IngestOptions o;
  o.brokers = "127.0.0.1:" + std::to_string(kPort);
  o.create_topics = false;
  o.message_timeout_ms = 5000;
  IngestHarness h(o);
  ASSERT_TRUE(ensureTopics(h.settings, standardTopics(h.settings)));
  h.startIngest();
  HttpConnection c(h.port());
  auto first = c.request("POST", "/v1/batches", batchBody(10), IngestHarness::jsonHeaders());
  ASSERT_EQ(first.status, 202);
  rapidjson::Document fd;
  fd.Parse(first.body.c_str());
  const std::string first_batch = fd["batch_id"].GetString(), first_run = fd["runs"][0]["run_id"].GetString(),
                    unread_run = fd["runs"][1]["run_id"].GetString();
  ASSERT_EQ(c.request("GET", "/v1/runs/" + first_run, {}, IngestHarness::jsonHeaders()).status, 200);

  ASSERT_EQ(kafka("stop"), 0);
  const std::string body = batchBody(100);
  HttpResponse r;
  // Within a probe interval ingest notices; a request admitted just before fails at delivery: 503 either way.
  ASSERT_TRUE(waitFor([&] {
    r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "during-outage"));
    return r.status == 503;
  }, 60s)) << r.status << " " << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_NE(r.body.find("\"unavailable\""), std::string::npos);
  // A run's details are read back from Kafka: one never read answers 503 with Retry-After (at once:
  // ingest knows Kafka is down), never a 404 or a run without its input; one read before answers
  // from the reader's cache. Batch totals are kept in memory and still answer.
  auto run_read = c.request("GET", "/v1/runs/" + unread_run, {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(run_read.status, 503) << run_read.body;
  EXPECT_EQ(run_read.headers["retry-after"], "1");
  auto cached = c.request("GET", "/v1/runs/" + first_run, {}, IngestHarness::jsonHeaders());
  EXPECT_EQ(cached.status, 200) << cached.body;
  EXPECT_NE(cached.body.find("\"pad\""), std::string::npos) << cached.body;
  EXPECT_EQ(c.request("GET", "/v1/batches/" + first_batch, {}, IngestHarness::jsonHeaders()).status, 200);

  ASSERT_EQ(kafka("start --port " + std::to_string(kPort)), 0);
  ASSERT_TRUE(waitFor([&] {
    r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "during-outage"));
    return r.status == 202;
  }, 120s)) << r.status << " " << r.body;
  HttpResponse back;
  ASSERT_TRUE(waitFor([&] {
    back = c.request("GET", "/v1/runs/" + unread_run, {}, IngestHarness::jsonHeaders());
    return back.status == 200;
  }, 60s)) << back.status << " " << back.body;
  EXPECT_NE(back.body.find("\"pad\""), std::string::npos) << "the input, read from Kafka: " << back.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  std::set<std::string> answered;
  for (const auto& run : d["runs"].GetArray()) answered.insert(run["run_id"].GetString());
  ASSERT_EQ(answered.size(), 100u);

  std::multiset<std::string> in_kafka;
  for (const auto& rec : h.readLanes()) {
    auto run = decodeRun(*rec.value);
    if (run && answered.count(run->run_id)) in_kafka.insert(run->run_id);
  }
  // Every answered run is there; any copy from an attempt that failed mid-way has the same id
  // (the dispatcher keeps one per run id).
  std::set<std::string> distinct(in_kafka.begin(), in_kafka.end());
  EXPECT_EQ(distinct, answered);
}
