// Idempotency-Key: a retry gets the same ids and produces nothing new, a different body is 409,
// the window is shared by every ingest instance (it lives in Kafka), and a client that walked away
// mid-request gets the whole answer by retrying.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/run.hpp"
#include "ingest_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

struct Answer {
  std::string batch_id;
  std::vector<std::string> run_ids;
  std::vector<bool> deduplicated;
};

Answer answerOf(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  Answer a;
  if (!d.IsObject() || !d.HasMember("runs")) return a;
  a.batch_id = d["batch_id"].GetString();
  for (const auto& r : d["runs"].GetArray()) {
    a.run_ids.push_back(r["run_id"].GetString());
    a.deduplicated.push_back(r["deduplicated"].GetBool());
  }
  return a;
}

size_t recordsOfBatch(const std::vector<KafkaRecord>& records, const std::string& batch_id) {
  size_t n = 0;
  for (const auto& r : records) n += r.headers.count("batch_id") && r.headers.at("batch_id") == batch_id;
  return n;
}

}  // namespace

TEST(IngestIdempotency, ARetryReturnsTheSameIdsAndProducesNothingNew) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  const std::string body = batchBody(200);
  auto first = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "order-1"));
  ASSERT_EQ(first.status, 202) << first.body;
  auto a = answerOf(first.body);
  EXPECT_EQ(a.batch_id, uuidv5(kBatchNamespace, std::string(kIngestProject) + "/order-1"));
  ASSERT_EQ(a.run_ids.size(), 200u);
  EXPECT_EQ(a.run_ids[7], uuidv5(kRunNamespace, std::string(kIngestProject) + "/order-1/7"));
  EXPECT_FALSE(a.deduplicated[0]);

  auto second = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "order-1"));
  ASSERT_EQ(second.status, 202) << second.body;
  auto b = answerOf(second.body);
  EXPECT_EQ(b.batch_id, a.batch_id);
  EXPECT_EQ(b.run_ids, a.run_ids);
  EXPECT_TRUE(b.deduplicated[0]);
  // Same created_at too: the whole answer is the same apart from "deduplicated".
  rapidjson::Document d1, d2;
  d1.Parse(first.body.c_str());
  d2.Parse(second.body.c_str());
  EXPECT_STREQ(d1["created_at"].GetString(), d2["created_at"].GetString());

  // Anything the retry had produced would have been acknowledged before its answer.
  EXPECT_EQ(recordsOfBatch(h.readLanes(), a.batch_id), 200u);
}

TEST(IngestIdempotency, TheSameKeyWithAnotherBodyIs409) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  ASSERT_EQ(c.request("POST", "/v1/batches", batchBody(2), IngestHarness::jsonHeaders(kIngestKey, "k")).status, 202);
  auto r = c.request("POST", "/v1/batches", batchBody(3), IngestHarness::jsonHeaders(kIngestKey, "k"));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("idempotency_conflict"), std::string::npos);
  // On another route too.
  EXPECT_EQ(c.request("POST", "/v1/workflows/wf/runs", R"({"input":1})",
                      IngestHarness::jsonHeaders(kIngestKey, "k")).status, 409);
  // Keys are per project: the other project may use the same key.
  EXPECT_EQ(c.request("POST", "/v1/batches", batchBody(3), IngestHarness::jsonHeaders(kIngestKeyB, "k")).status, 202);
}

TEST(IngestIdempotency, TheWindowIsSharedByInstancesAndSurvivesARestart) {
  IngestHarness h;
  h.startIngest();
  const std::string body = batchBody(5);
  HttpConnection c0(h.port(0));
  auto first = c0.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "shared"));
  ASSERT_EQ(first.status, 202);
  // A second instance started afterwards reads the key's records from Kafka before it is ready.
  size_t i = h.startIngest();
  HttpConnection c1(h.port(i));
  auto again = c1.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "shared"));
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(answerOf(again.body).run_ids, answerOf(first.body).run_ids);
  EXPECT_TRUE(answerOf(again.body).deduplicated[0]);
  EXPECT_EQ(c1.request("POST", "/v1/batches", batchBody(6), IngestHarness::jsonHeaders(kIngestKey, "shared")).status,
            409);
  EXPECT_EQ(recordsOfBatch(h.readLanes(), answerOf(first.body).batch_id), 5u);
}

TEST(IngestIdempotency, PerItemKeysGiveStableRunIdsAcrossBatches) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto a = c.request("POST", "/v1/batches",
                     R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"invoice-9"},{"input":2}]})",
                     IngestHarness::jsonHeaders());
  auto b = c.request("POST", "/v1/batches", R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"invoice-9"}]})",
                     IngestHarness::jsonHeaders());
  ASSERT_EQ(a.status, 202);
  ASSERT_EQ(b.status, 202);
  EXPECT_EQ(answerOf(a.body).run_ids[0], answerOf(b.body).run_ids[0]);
  EXPECT_NE(answerOf(a.body).batch_id, answerOf(b.body).batch_id);
}

TEST(IngestIdempotency, AClientThatDisconnectsEarlyGetsTheFullAnswerByRetrying) {
  IngestHarness h;
  h.startIngest();
  const std::string body = batchBody(1000, 200);
  {
    HttpConnection gone(h.port());
    ASSERT_TRUE(gone.sendOnly("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "walk-away")));
    gone.close();  // before any answer can have come
  }
  // The retry may arrive while the first attempt is still in flight (409 request_in_progress,
  // Retry-After): a client keeps retrying with the same key until it gets the answer.
  HttpConnection c(h.port());
  HttpResponse r;
  ASSERT_TRUE(waitFor([&] {
    r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "walk-away"));
    if (r.status == 409) {
      EXPECT_NE(r.body.find("request_in_progress"), std::string::npos) << r.body;
    }
    return r.status == 202;
  }, 60s)) << r.status << " " << r.body;
  auto a = answerOf(r.body);
  ASSERT_EQ(a.run_ids.size(), 1000u);
  EXPECT_EQ(a.batch_id, uuidv5(kBatchNamespace, std::string(kIngestProject) + "/walk-away"));
  for (int i = 0; i < 1000; i += 111) {
    EXPECT_EQ(a.run_ids[static_cast<size_t>(i)],
              uuidv5(kRunNamespace, std::string(kIngestProject) + "/walk-away/" + std::to_string(i)));
  }
  // Each run is in Kafka, and once: either the first attempt finished and the retry replayed its
  // answer, or the retry produced the same ids itself.
  auto records = h.readLanes();
  std::set<std::string> ids;
  for (const auto& rec : records) ids.insert(decodeRun(*rec.value)->run_id);
  EXPECT_EQ(ids, std::set<std::string>(a.run_ids.begin(), a.run_ids.end()));
  EXPECT_EQ(records.size(), 1000u);
}
