// Idempotency-Key: a retry gets the same ids and produces nothing new, a different body is 409,
// the window is shared by every ingest instance (it lives in Kafka), and a client that walked away
// mid-request gets the whole answer by retrying. Per-item idempotency_key: an item whose run exists
// is answered with it (deduplicated: true) and not produced; the new batch is what was produced.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/write/run_ids.hpp"
#include "http.hpp"
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

TEST(IngestIdempotency, AnItemWhoseKeyNamesAnExistingRunIsAnsweredWithItAndNotProducedAgain) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto a = c.request("POST", "/v1/batches",
                     R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"invoice-9"},{"input":2}]})",
                     IngestHarness::jsonHeaders());
  ASSERT_EQ(a.status, 202) << a.body;
  auto first = answerOf(a.body);
  EXPECT_EQ(first.deduplicated, (std::vector<bool>{false, false}));
  EXPECT_EQ(first.run_ids[0], uuidv5(ingest::kItemKeyNamespace, std::string(kIngestProject) + "/invoice-9"));

  // A later batch repeats invoice-9 next to two new items.
  auto b = c.request("POST", "/v1/batches",
                     R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"invoice-9"},{"input":3},)"
                     R"({"input":4,"idempotency_key":"invoice-10"}]})",
                     IngestHarness::jsonHeaders());
  ASSERT_EQ(b.status, 202) << b.body;
  auto second = answerOf(b.body);
  ASSERT_EQ(second.run_ids.size(), 3u);
  EXPECT_NE(second.batch_id, first.batch_id);
  EXPECT_EQ(second.run_ids[0], first.run_ids[0]);
  EXPECT_EQ(second.deduplicated, (std::vector<bool>{true, false, false}));
  rapidjson::Document da, db;
  da.Parse(a.body.c_str());
  db.Parse(b.body.c_str());
  // The existing run's creation time, not this request's.
  EXPECT_STREQ(db["runs"][0]["created_at"].GetString(), da["runs"][0]["created_at"].GetString());
  EXPECT_STREQ(db["runs"][1]["created_at"].GetString(), db["created_at"].GetString());

  // invoice-9 is in Kafka once; the new batch is the two runs it produced, and says so.
  auto records = h.readLanes();
  size_t invoice9 = 0;
  std::set<std::string> second_batch;
  for (const auto& rec : records) {
    auto run = decodeRun(*rec.value);
    ASSERT_TRUE(run);
    invoice9 += run->run_id == first.run_ids[0];
    if (run->batch_id != second.batch_id) continue;
    second_batch.insert(run->run_id);
    EXPECT_EQ(run->batch_size, 2) << "batch.completed must fire once the runs this batch produced are terminal";
  }
  EXPECT_EQ(invoice9, 1u);
  EXPECT_EQ(second_batch, (std::set<std::string>{second.run_ids[1], second.run_ids[2]}));
  auto batch = c.request("GET", "/v1/batches/" + second.batch_id, {}, IngestHarness::jsonHeaders());
  ASSERT_EQ(batch.status, 200) << batch.body;
  rapidjson::Document t;
  t.Parse(batch.body.c_str());
  EXPECT_EQ(t["total"].GetInt(), 2) << batch.body;
  EXPECT_NE(h.app().metrics().render().find("batchrun_ingest_deduplicated_runs_total 1"), std::string::npos);
}

TEST(IngestIdempotency, ARequestWhoseItemsAllExistProducesNoRunAndItsBatchIsCompleteAtOnce) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  const std::string body =
      R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"k1"},{"input":2,"idempotency_key":"k2"}]})";
  auto a = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders());
  ASSERT_EQ(a.status, 202) << a.body;
  const size_t before = h.readLanes().size();
  ASSERT_EQ(before, 2u);

  auto b = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders());
  ASSERT_EQ(b.status, 202) << b.body;
  auto again = answerOf(b.body);
  EXPECT_EQ(again.run_ids, answerOf(a.body).run_ids);
  EXPECT_EQ(again.deduplicated, (std::vector<bool>{true, true}));
  EXPECT_NE(again.batch_id, answerOf(a.body).batch_id);
  EXPECT_EQ(h.readLanes().size(), before);
  // No run under the new batch id, so the batch is complete as it is accepted: its batch.completed
  // (total 0) is in Kafka before the answer, for webhook and SSE subscribers and for reads.
  std::vector<KafkaRecord> completed;
  for (auto& r : h.readAll({h.topics.events})) {
    if (r.headers["batchrun_batch_id"] == again.batch_id) completed.push_back(r);
  }
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].headers["ce_type"], "batch.completed");
  EXPECT_EQ(completed[0].headers["batchrun_project"], kIngestProject);
  rapidjson::Document ev;
  ev.Parse(completed[0].value.value_or("").c_str());
  ASSERT_TRUE(ev.IsObject()) << completed[0].value.value_or("");
  EXPECT_EQ(ev["data"]["total"].GetInt(), 0);
  const std::string path = "/v1/batches/" + again.batch_id;
  ASSERT_TRUE(waitFor([&] { return c.request("GET", path, {}, IngestHarness::jsonHeaders()).status == 200; }, 30s));
  rapidjson::Document t;
  t.Parse(c.request("GET", path, {}, IngestHarness::jsonHeaders()).body.c_str());
  EXPECT_EQ(t["total"].GetInt(), 0);
  EXPECT_TRUE(t["completed_at"].IsString());
  auto stream = httpGet(h.base() + path + "/events", IngestHarness::jsonHeaders());  // ends after batch.completed
  EXPECT_EQ(stream.status, 200);
  EXPECT_NE(stream.body.find("event: batch.completed"), std::string::npos) << stream.body;
  EXPECT_EQ(c.request("POST", path + "/cancel", {}, IngestHarness::jsonHeaders()).status, 409);
  EXPECT_EQ(c.request("GET", path, {}, IngestHarness::jsonHeaders(kIngestKeyB)).status, 404) << "another project's";

  // The single-run route: 201 with the existing run, its status and creation time.
  auto single = c.request("POST", "/v1/workflows/wf/runs", R"({"input":1,"idempotency_key":"k1"})",
                          IngestHarness::jsonHeaders());
  ASSERT_EQ(single.status, 201) << single.body;
  rapidjson::Document d, da;
  d.Parse(single.body.c_str());
  da.Parse(a.body.c_str());
  EXPECT_EQ(d["run_id"].GetString(), again.run_ids[0]);
  EXPECT_TRUE(d["deduplicated"].GetBool());
  EXPECT_STREQ(d["status"].GetString(), "queued");  // no dispatcher here: it is still queued
  EXPECT_STREQ(d["created_at"].GetString(), da["runs"][0]["created_at"].GetString());
  EXPECT_EQ(h.readLanes().size(), before);
  // Keys are per project: the same key in another project is another run.
  auto other = c.request("POST", "/v1/workflows/wf/runs", R"({"input":1,"idempotency_key":"k1"})",
                         IngestHarness::jsonHeaders(kIngestKeyB));
  ASSERT_EQ(other.status, 201) << other.body;
  d.Parse(other.body.c_str());
  EXPECT_FALSE(d["deduplicated"].GetBool());
  EXPECT_NE(d["run_id"].GetString(), again.run_ids[0]);
}

TEST(IngestIdempotency, AnotherInstanceKnowsTheRunOnceReady) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c0(h.port(0));
  auto a = c0.request("POST", "/v1/batches", R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"x"}]})",
                      IngestHarness::jsonHeaders());
  ASSERT_EQ(a.status, 202) << a.body;
  // An instance is ready only once its read view has read the lane topics to their end.
  size_t i = h.startIngest();
  HttpConnection c1(h.port(i));
  auto b = c1.request("POST", "/v1/batches", R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"x"}]})",
                      IngestHarness::jsonHeaders());
  ASSERT_EQ(b.status, 202) << b.body;
  EXPECT_EQ(answerOf(b.body).run_ids, answerOf(a.body).run_ids);
  EXPECT_TRUE(answerOf(b.body).deduplicated[0]);
  EXPECT_EQ(h.readLanes().size(), 1u);
}

TEST(IngestIdempotency, AReplayOfAPartlyDeduplicatedRequestIsTheSameAnswer) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto a = c.request("POST", "/v1/batches", R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"old"}]})",
                     IngestHarness::jsonHeaders());
  ASSERT_EQ(a.status, 202) << a.body;
  const std::string body = R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"old"},{"input":2}]})";
  auto first = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "mixed"));
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(answerOf(first.body).deduplicated, (std::vector<bool>{true, false}));
  auto replay = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "mixed"));
  ASSERT_EQ(replay.status, 202) << replay.body;
  EXPECT_EQ(answerOf(replay.body).run_ids, answerOf(first.body).run_ids);
  EXPECT_EQ(answerOf(replay.body).deduplicated, (std::vector<bool>{true, true}));
  rapidjson::Document d1, d2, da;
  d1.Parse(first.body.c_str());
  d2.Parse(replay.body.c_str());
  da.Parse(a.body.c_str());
  EXPECT_STREQ(d2["runs"][0]["created_at"].GetString(), da["runs"][0]["created_at"].GetString());
  EXPECT_STREQ(d2["runs"][1]["created_at"].GetString(), d1["runs"][1]["created_at"].GetString());
  // The idempotency record names the item that was answered with an existing run, for any retry.
  bool recorded = false;
  for (const auto& rec : h.readAll({h.topics.idempotency})) {
    if (rec.key == std::string(kIngestProject) + "/mixed" && rec.value) {
      recorded = recorded || rec.value->find(R"("deduplicated":[0])") != std::string::npos;
    }
  }
  EXPECT_TRUE(recorded);
  EXPECT_EQ(recordsOfBatch(h.readLanes(), answerOf(first.body).batch_id), 1u);
}

TEST(IngestIdempotency, TwoItemsWithOneKeyAre400NamingBoth) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  const std::string body =
      R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"k"},{"input":2,"idempotency_key":"k"}]})";
  auto r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders());
  ASSERT_EQ(r.status, 400) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  std::set<std::string> fields;
  for (const auto& e : d["error"]["details"].GetArray()) fields.insert(e["field"].GetString());
  EXPECT_EQ(fields, (std::set<std::string>{"runs[0].idempotency_key", "runs[1].idempotency_key"}));
  EXPECT_TRUE(h.readLanes().empty());
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
