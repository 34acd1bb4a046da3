#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/common/records/events.hpp"

using namespace batchrun;

namespace {
std::string headerOf(const OutMessage& m, const std::string& name) {
  for (const auto& [k, v] : m.headers) {
    if (k == name) return v;
  }
  return {};
}
}  // namespace

TEST(Events, RunEventIsAStandardWebhooksEnvelopeWithCloudEventsHeaders) {
  batchrun::Run r;
  r.run_id = "r1";
  r.batch_id = "b1";
  r.project = "p";
  r.status = RunStatus::kCompleted;
  r.attempt = 1;
  r.output = R"({"ok":1})";
  r.metadata = R"({"m":"v"})";
  auto m = makeRunEvent("x.runs.events", r, event_type::kCompleted, 1614265330000);
  rapidjson::Document d;
  d.Parse(m.value.c_str());
  ASSERT_FALSE(d.HasParseError()) << m.value;
  EXPECT_STREQ(d["type"].GetString(), "workflow_run.completed");
  EXPECT_STREQ(d["timestamp"].GetString(), "2021-02-25T15:02:10.000Z");
  EXPECT_EQ(d["data"]["output"]["ok"].GetInt(), 1);
  EXPECT_STREQ(d["data"]["metadata"]["m"].GetString(), "v");
  EXPECT_EQ(m.key, "r1");
  EXPECT_EQ(headerOf(m, "ce_type"), "workflow_run.completed");
  EXPECT_EQ(headerOf(m, "ce_specversion"), "1.0");
  EXPECT_EQ(headerOf(m, "batchrun_batch_id"), "b1");
  // Stable: the same transition gives the same id; another attempt another.
  EXPECT_EQ(headerOf(m, "ce_id"), runEventId(r, event_type::kCompleted));
  batchrun::Run r2 = r;
  r2.attempt = 2;
  EXPECT_NE(runEventId(r2, event_type::kCompleted), runEventId(r, event_type::kCompleted));
}

TEST(Events, BatchCompletedCarriesCounts) {
  BatchSummary b{"p", "b1", 3, {{"completed", 2}, {"failed", 1}}, 1000, 2000};
  auto m = makeBatchCompletedEvent("x.runs.events", b, 3000);
  rapidjson::Document d;
  d.Parse(m.value.c_str());
  ASSERT_FALSE(d.HasParseError()) << m.value;
  EXPECT_EQ(d["data"]["total"].GetInt(), 3);
  EXPECT_EQ(d["data"]["counts"]["completed"].GetInt(), 2);
  EXPECT_EQ(m.key, "b1");
}
