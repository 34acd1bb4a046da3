// When Kafka does not acknowledge a request's items: 503 with Retry-After and none of them in Kafka,
// and a retry with the same key is not mistaken for a finished request.
// (A broker that goes away entirely: ingest_outage_test.cpp, label reliability.)
#include <gtest/gtest.h>

#include <cstdint>

#include "batchrun/common/kafka/admin.hpp"
#include "ingest_support.hpp"

using namespace batchrun;
using namespace batchrun::testing;

namespace {

// The bulk lane refuses record batches over 1 KiB (topic max.message.bytes): a request with a big
// item passes validation and admission, then its delivery reports are errors.
void createTopicsWithASmallBulkLane(IngestHarness& h) {
  auto specs = standardTopics(h.settings);
  for (auto& s : specs) {
    if (s.name == h.topics.requested("bulk")) s.config["max.message.bytes"] = "1024";
  }
  ASSERT_TRUE(ensureTopics(h.settings, specs));
}

// runs.index refuses record batches over 1 KiB: a request's lane records are acknowledged, then
// its index record is refused.
void createTopicsWithASmallRunIndex(IngestHarness& h) {
  auto specs = standardTopics(h.settings);
  for (auto& s : specs) {
    if (s.name == h.topics.run_index) s.config["max.message.bytes"] = "1024";
  }
  ASSERT_TRUE(ensureTopics(h.settings, specs));
}

IngestOptions ownTopics() {
  IngestOptions o;
  o.create_topics = false;
  return o;
}

}  // namespace

TEST(IngestFailure, UnacknowledgedItemsMake503AndNoneOfThemIsInKafka) {
  IngestHarness h(ownTopics());
  createTopicsWithASmallBulkLane(h);
  h.startIngest();
  HttpConnection c(h.port());
  const std::string body = batchBody(50, 2000);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "fails"));
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.headers["retry-after"], "1");
    EXPECT_NE(r.body.find("same Idempotency-Key"), std::string::npos) << r.body;
  }
  EXPECT_TRUE(h.readLanes().empty());
  EXPECT_NE(h.app().metrics().render().find("batchrun_ingest_produce_errors_total{kind=\"delivery\"} 2"),
            std::string::npos);
  // A small item of the same kind still goes through (and Kafka was not marked unreachable).
  EXPECT_EQ(c.request("POST", "/v1/batches", batchBody(1), IngestHarness::jsonHeaders()).status, 202);
}

// The answer waits for the request's runs.index record too (what makes its runs readable on every
// instance): without it, the request is a 503 like any failed delivery. Its lane records were
// acknowledged and stay (they run; a retry with the key writes the same ids, run once).
TEST(IngestFailure, AnUnacknowledgedRunIndexMakes503) {
  IngestHarness h(ownTopics());
  createTopicsWithASmallRunIndex(h);
  h.startIngest();
  HttpConnection c(h.port());
  auto r = c.request("POST", "/v1/batches", batchBody(300), IngestHarness::jsonHeaders(kIngestKey, "no-index"));
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_NE(r.body.find("same Idempotency-Key"), std::string::npos) << r.body;
  EXPECT_EQ(h.readLanes().size(), 300u);
  EXPECT_TRUE(h.readAll({h.topics.run_index}).empty());
  EXPECT_NE(h.app().metrics().render().find("batchrun_ingest_produce_errors_total{kind=\"delivery\"} 1"),
            std::string::npos);
}

TEST(IngestFailure, ARetryOfAFailedAttemptKeepsItsItemsThatNamedExistingRuns) {
  IngestHarness h(ownTopics());
  createTopicsWithASmallBulkLane(h);
  h.startIngest();
  HttpConnection c(h.port());
  ASSERT_EQ(c.request("POST", "/v1/batches", R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"inv"}]})",
                      IngestHarness::jsonHeaders())
                .status,
            202);
  // Item 0 names the existing run, item 1 is too big for the bulk lane even compressed.
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 4000; ++i) {
    x = x * 1103515245u + 12345u;
    noise += static_cast<char>('a' + (x >> 16) % 26);
  }
  const std::string body =
      R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"inv"},{"input":")" + noise + R"("}]})";
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = c.request("POST", "/v1/batches", body, IngestHarness::jsonHeaders(kIngestKey, "partly"));
    ASSERT_EQ(r.status, 503) << r.body;
  }
  // The existing run was produced by nobody but its own request; the attempt's record says which
  // item it answered with an existing run, so every retry produces the same set (batch_size 1).
  EXPECT_EQ(h.readLanes().size(), 1u);
  bool recorded = false;
  for (const auto& rec : h.readAll({h.topics.idempotency})) {
    if (rec.key != std::string(kIngestProject) + "/partly" || !rec.value) continue;
    recorded = rec.value->find(R"("complete":false,"deduplicated":[0])") != std::string::npos;
  }
  EXPECT_TRUE(recorded);
}
