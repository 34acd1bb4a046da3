// When Kafka does not acknowledge a request's items: 503 with Retry-After and none of them in Kafka,
// and a retry with the same key is not mistaken for a finished request.
// (A broker that goes away entirely: ingest_outage_test.cpp, label reliability.)
#include <gtest/gtest.h>

#include "batchrun/common/kafka_admin.hpp"
#include "ingest_support.hpp"

using namespace batchrun;
using namespace batchrun::testing;

TEST(IngestFailure, UnacknowledgedItemsMake503AndNoneOfThemIsInKafka) {
  // The bulk lane refuses record batches over 1 KiB (topic max.message.bytes): the request passes
  // validation and admission, then every delivery report is an error.
  IngestOptions o;
  o.create_topics = false;
  IngestHarness h(o);
  auto specs = standardTopics(h.settings);
  for (auto& s : specs) {
    if (s.name == h.topics.requested("bulk")) s.config["max.message.bytes"] = "1024";
  }
  ASSERT_TRUE(ensureTopics(h.settings, specs));
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
