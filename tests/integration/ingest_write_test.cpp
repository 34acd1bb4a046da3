// The write path against the real broker with an in-process ingest: what a 2xx promises is in
// Kafka (lanes, keys, headers, values), and every refusal is the right status with a JSON body.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>

#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/read/run_index.hpp"
#include "ingest_support.hpp"

using namespace batchrun;
using namespace batchrun::testing;

namespace {

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

}  // namespace

TEST(IngestWrite, AThousandItemBatchLandsInKafkaWithLanesKeysHeadersAndValues) {
  IngestHarness h;
  h.startIngest();
  // Priorities cycle through every lane; every 10th item has a concurrency key (its routing key).
  std::string body = R"({"workflow_id":"wf","metadata":{"team":"t"},"runs":[)";
  for (int i = 0; i < 1000; ++i) {
    if (i) body += ',';
    body += R"({"input":{"i":)" + std::to_string(i) + R"(},"priority":)" + std::to_string(1 + (i * 7) % 100);
    if (i % 10 == 0) body += R"(,"concurrency_key":"tenant-)" + std::to_string(i % 3) + "\"";
    body += "}";
  }
  body += "]}";
  HttpConnection c(h.port());
  auto r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders());
  ASSERT_EQ(r.status, 202) << r.body;
  auto d = parse(r.body);
  ASSERT_TRUE(d.IsObject());
  const std::string batch_id = d["batch_id"].GetString();
  ASSERT_EQ(d["runs"].Size(), 1000u);
  std::vector<std::string> ids;
  for (const auto& run : d["runs"].GetArray()) {
    ids.push_back(run["run_id"].GetString());
    EXPECT_FALSE(run["deduplicated"].GetBool());
  }

  // The answer came after every acknowledgement: reading now finds all of them.
  auto records = h.readLanes();
  ASSERT_EQ(records.size(), 1000u);
  std::set<std::string> seen;
  for (const auto& rec : records) {
    ASSERT_TRUE(rec.value);
    auto run = decodeRun(*rec.value);
    ASSERT_TRUE(run) << *rec.value;
    ASSERT_GE(run->batch_index, 0);
    ASSERT_LT(run->batch_index, 1000);
    const int i = run->batch_index;
    EXPECT_EQ(run->run_id, ids[static_cast<size_t>(i)]);
    EXPECT_EQ(run->batch_id, batch_id);
    EXPECT_EQ(run->batch_size, 1000);
    EXPECT_EQ(run->project, kIngestProject);
    EXPECT_EQ(run->workflow_id, "wf");
    EXPECT_EQ(run->input, "{\"i\":" + std::to_string(i) + "}");
    EXPECT_EQ(run->metadata, R"({"team":"t"})");
    EXPECT_EQ(run->priority, 1 + (i * 7) % 100);
    EXPECT_EQ(run->status, RunStatus::kQueued);
    EXPECT_EQ(run->version, 0);
    EXPECT_EQ(rec.topic, h.topics.requested(laneFor(h.settings.lanes, run->priority).name));
    EXPECT_EQ(run->lane, laneFor(h.settings.lanes, run->priority).name);
    EXPECT_EQ(rec.key, i % 10 == 0 ? "tenant-" + std::to_string(i % 3) : run->run_id);
    EXPECT_EQ(rec.headers.at("batch_id"), batch_id);
    EXPECT_EQ(rec.headers.at("project"), kIngestProject);
    seen.insert(run->run_id);
  }
  EXPECT_EQ(seen.size(), 1000u);

  // So is the request's index record, naming where each run's lane record sits: any instance's
  // read view knows every run of a 2xx, even if this one died right after answering.
  auto index = h.readAll({h.topics.run_index});
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].key, batch_id);
  std::string buffer = *index[0].value;
  ingest::RunIndex got;
  ASSERT_TRUE(ingest::decodeRunIndex(buffer, got));
  EXPECT_EQ(got.batch_id, batch_id);
  EXPECT_EQ(got.project, kIngestProject);
  EXPECT_EQ(got.batch_size, 1000);
  ASSERT_EQ(got.runs.size(), 1000u);
  std::map<std::string, const KafkaRecord*> lane_of;
  for (const auto& rec : records) lane_of[decodeRun(*rec.value)->run_id] = &rec;
  for (const auto& entry : got.runs) {
    const KafkaRecord* rec = lane_of.at(std::string(entry.run_id));
    EXPECT_EQ(h.topics.requested(std::string(got.lanes[entry.lane])), rec->topic);
    EXPECT_EQ(entry.partition, rec->partition);
    EXPECT_EQ(entry.offset, rec->offset);
    EXPECT_EQ(got.workflows[entry.workflow], "wf");
  }
}

TEST(IngestWrite, ASingleRunIs201WithPriority50AndCarriesTraceparent) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto headers = IngestHarness::jsonHeaders();
  headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto r = c.request("POST", "/v1/workflows/invoice/runs", R"({"input":{"doc":7},"metadata":{"m":1}})", headers);
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = parse(r.body);
  EXPECT_STREQ(d["status"].GetString(), "queued");
  EXPECT_FALSE(d["deduplicated"].GetBool());
  auto records = h.readLanes();
  ASSERT_EQ(records.size(), 1u);
  auto run = decodeRun(*records[0].value);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->run_id, d["run_id"].GetString());
  EXPECT_EQ(run->priority, 50);
  EXPECT_EQ(records[0].topic, h.topics.requested("normal"));
  EXPECT_EQ(run->workflow_id, "invoice");
  EXPECT_EQ(run->batch_id, "");
  EXPECT_EQ(run->traceparent, headers["traceparent"]);
}

TEST(IngestWrite, WithoutAValidKeyEveryWriteIs401) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  for (const char* key : {static_cast<const char*>(nullptr), "wrong-key"}) {
    auto r = c.request("POST", "/v1/batches", batchBody(1), IngestHarness::jsonHeaders(key));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(parse(r.body)["error"]["code"].GetString(), std::string("unauthorized"));
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
    auto s = c.request("PUT", "/v1/workflows/wf", R"({"endpoint":"http://127.0.0.1:1/"})",
                       IngestHarness::jsonHeaders(key));
    EXPECT_EQ(s.status, 401);
  }
  EXPECT_TRUE(h.readLanes().empty());
}

TEST(IngestWrite, BadInputIs400WithEveryProblemAndNothingIsProduced) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto r = c.request("POST", "/v1/batches",
                     R"({"runs":[{"workflow_id":"wf","input":1},{"input":1,"priority":500},{"workflow_id":"wf"}]})",
                     IngestHarness::jsonHeaders());
  ASSERT_EQ(r.status, 400);
  auto d = parse(r.body);
  EXPECT_STREQ(d["error"]["code"].GetString(), "invalid_request");
  const auto& details = d["error"]["details"];
  ASSERT_EQ(details.Size(), 3u) << r.body;
  std::set<std::string> fields;
  for (const auto& e : details.GetArray()) fields.insert(e["field"].GetString());
  EXPECT_EQ(fields, (std::set<std::string>{"runs[1].priority", "runs[1].workflow_id", "runs[2].input"}));
  EXPECT_EQ(details[0]["index"].GetInt(), 1);

  auto malformed = c.request("POST", "/v1/batches", "{\"runs\": [", IngestHarness::jsonHeaders());
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("malformed JSON"), std::string::npos);
  auto key = IngestHarness::jsonHeaders(kIngestKey, "has space");
  EXPECT_EQ(c.request("POST", "/v1/batches", batchBody(1), key).status, 400);
  EXPECT_TRUE(h.readLanes().empty());
}

TEST(IngestWrite, NonJsonBodiesAre415) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  auto headers = IngestHarness::jsonHeaders();
  headers["Content-Type"] = "text/plain";
  auto r = c.request("POST", "/v1/batches", batchBody(1), headers);
  EXPECT_EQ(r.status, 415);
  EXPECT_STREQ(parse(r.body)["error"]["code"].GetString(), "unsupported_media_type");
  headers.erase("Content-Type");
  EXPECT_EQ(c.request("POST", "/v1/batches", batchBody(1), headers).status, 415);
  headers["Content-Type"] = "application/json; charset=utf-8";
  EXPECT_EQ(c.request("POST", "/v1/batches", batchBody(1), headers).status, 202);
}

TEST(IngestWrite, BodiesOverTheLimitAre413AndItemsOverTheirLimit400) {
  IngestOptions o;
  o.max_body_bytes = 64 * 1024;
  IngestHarness h(o);
  h.startIngest();
  HttpConnection c(h.port());
  auto r = c.request("POST", "/v1/batches", batchBody(100, 1000), IngestHarness::jsonHeaders());
  EXPECT_EQ(r.status, 413);
  EXPECT_STREQ(parse(r.body)["error"]["code"].GetString(), "payload_too_large");
  // Over Pistache's own buffer too: still refused (Pistache answers itself), never accepted.
  HttpConnection c2(h.port());
  auto huge = c2.request("POST", "/v1/batches", batchBody(300, 1000), IngestHarness::jsonHeaders());
  EXPECT_EQ(huge.status, 413);
  EXPECT_TRUE(h.readLanes().empty());
}

TEST(IngestWrite, TooManyItemsIs400) {
  IngestOptions o;
  o.max_batch_items = 10;
  IngestHarness h(o);
  h.startIngest();
  HttpConnection c(h.port());
  auto r = c.request("POST", "/v1/batches", batchBody(11), IngestHarness::jsonHeaders());
  ASSERT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("has 11 items; it must have 1..10"), std::string::npos) << r.body;
}

TEST(IngestWrite, ConnectionsStayOpenAcrossRequests) {
  IngestHarness h;
  h.startIngest();
  HttpConnection c(h.port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("POST", "/v1/batches", batchBody(3), IngestHarness::jsonHeaders());
    ASSERT_EQ(r.status, 202);
    EXPECT_EQ(r.headers["connection"], "Keep-Alive");
  }
}
