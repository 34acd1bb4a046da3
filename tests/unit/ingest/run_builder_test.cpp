// Items → Run records: lanes by priority, id derivation (stable with keys, unique without), workflow
// defaults and queue limits, routing keys, Kafka messages and answer bodies.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <set>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/ingest/write/run_builder.hpp"
#include "batchrun/ingest/write/run_ids.hpp"
#include "batchrun/ingest/read/run_view.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

const std::vector<Lane> kLanes = KafkaSettings{}.lanes;

RunItem item(int priority, std::string key = {}) {
  RunItem i;
  i.workflow_id = "wf";
  i.input = R"({"x":1})";
  i.priority = priority;
  i.idempotency_key = std::move(key);
  return i;
}

RunContext ctx(std::string request_key = {}) {
  RunContext c;
  c.project = "p";
  c.request_key = std::move(request_key);
  c.batch_id = batchIdFor("p", c.request_key, 1'700'000'000'000);
  c.created_at = 1'700'000'000'000;
  return c;
}

}  // namespace

TEST(LaneMapping, DefaultBandsMatchTheDesign) {
  EXPECT_EQ(laneFor(kLanes, 1).name, "high");
  EXPECT_EQ(laneFor(kLanes, 25).name, "high");
  EXPECT_EQ(laneFor(kLanes, 26).name, "normal");
  EXPECT_EQ(laneFor(kLanes, 50).name, "normal");
  EXPECT_EQ(laneFor(kLanes, 51).name, "low");
  EXPECT_EQ(laneFor(kLanes, 89).name, "low");
  EXPECT_EQ(laneFor(kLanes, 90).name, "bulk");
  EXPECT_EQ(laneFor(kLanes, 100).name, "bulk");
}

TEST(RunBuilder, AssignsLanesPositionsAndDefaults) {
  std::vector<RunItem> items = {item(1), item(50), item(90)};
  auto runs = buildRuns(std::move(items), ctx(), kLanes, nullptr);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].lane, "high");
  EXPECT_EQ(runs[1].lane, "normal");
  EXPECT_EQ(runs[2].lane, "bulk");
  for (int i = 0; i < 3; ++i) {
    const batchrun::Run& r = runs[static_cast<size_t>(i)];
    EXPECT_EQ(r.batch_size, 3);
    EXPECT_EQ(r.batch_index, i);
    EXPECT_EQ(r.status, RunStatus::kQueued);
    EXPECT_EQ(r.version, 0);
    EXPECT_EQ(r.timeout_seconds, kDefaultTimeoutSeconds);
    EXPECT_EQ(r.max_attempts, kDefaultMaxAttempts);
    EXPECT_EQ(r.project, "p");
    EXPECT_EQ(r.created_at, 1'700'000'000'000);
    EXPECT_EQ(r.routingKey(), r.run_id);  // no concurrency key, no limited queue
    EXPECT_TRUE(isUuid(r.run_id));
  }
}

TEST(RunIds, WithoutKeysAreConsecutiveUuidV7sInItemOrder) {
  const int64_t ms = 1'700'000'000'000;
  const Uuid start = uuidv7Start(ms);
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(runIdFor("p", "", i, "", start));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1000u);
  for (const auto& id : ids) {
    ASSERT_EQ(id.at(14), '7') << id;                                  // version 7
    ASSERT_NE(std::string("89ab").find(id.at(19)), std::string::npos);  // RFC 9562 variant
    ASSERT_EQ(id.substr(0, 13), uuidv7(ms).substr(0, 13)) << "the timestamp";
  }
  // Consecutive: each id is the one before plus one (in its last bytes).
  Uuid a{}, b{};
  ASSERT_TRUE(parseUuid(ids[41], a));
  ASSERT_TRUE(parseUuid(ids[42], b));
  EXPECT_EQ(b[15], static_cast<uint8_t>(a[15] + 1));
  // Another request's start is elsewhere.
  EXPECT_NE(runIdFor("p", "", 0, "", uuidv7Start(ms)), ids[0]);
  EXPECT_NE(batchIdFor("p", "", 1), batchIdFor("p", "", 1));
}

TEST(RunIds, TheCounterCarriesAcrossBytesAndNeverIntoTheVariant) {
  Uuid start{};
  ASSERT_TRUE(parseUuid("0190aaaa-0000-7000-80ff-ffffffffffff", start));
  EXPECT_EQ(uuidv7Next(start, 1), "0190aaaa-0000-7000-8100-000000000000");
  ASSERT_TRUE(parseUuid("0190aaaa-0000-7000-8fff-ffffffffffff", start));  // the largest start
  EXPECT_EQ(uuidv7Next(start, 1000).substr(19, 1), "9") << "variant bits stay 10";
}

TEST(RunIds, AHeaderKeyDerivesStableIdsPerProjectKeyAndIndex) {
  EXPECT_EQ(batchIdFor("p", "k", 1), batchIdFor("p", "k", 2));
  EXPECT_NE(batchIdFor("p", "k", 1), batchIdFor("q", "k", 1));
  EXPECT_EQ(runIdFor("p", "k", 3, "", uuidv7Start(1)), runIdFor("p", "k", 3, "", uuidv7Start(99)));
  EXPECT_NE(runIdFor("p", "k", 3, "", Uuid{}), runIdFor("p", "k", 4, "", Uuid{}));
  EXPECT_NE(runIdFor("p", "k", 3, "", Uuid{}), runIdFor("q", "k", 3, "", Uuid{}));
  EXPECT_EQ(runIdFor("p", "k", 3, "", Uuid{}).at(14), '5');
  // The v5 of the documented name, so other tools can derive the same ids.
  EXPECT_EQ(runIdFor("p", "k", 3, "", Uuid{}), uuidv5(kRunNamespace, "p/k/3"));
  EXPECT_EQ(batchIdFor("p", "k", 1), uuidv5(kBatchNamespace, "p/k"));
}

TEST(RunIds, AnItemKeyWinsAndCannotCollideWithAHeaderKeyIndex) {
  EXPECT_EQ(runIdFor("p", "k", 0, "item", Uuid{}), runIdFor("p", "other", 7, "item", Uuid{}));
  EXPECT_EQ(runIdFor("p", "", 0, "item", Uuid{}), uuidv5(kItemKeyNamespace, "p/item"));
  EXPECT_NE(runIdFor("p", "", 0, "k/3", Uuid{}), runIdFor("p", "k", 3, "", Uuid{}));
}

TEST(RunBuilder, RetriesOfAKeyedRequestRebuildTheSameIds) {
  auto a = buildRuns({item(90), item(90, "mine")}, ctx("req-1"), kLanes, nullptr);
  auto b = buildRuns({item(90), item(90, "mine")}, ctx("req-1"), kLanes, nullptr);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].run_id, b[i].run_id);
  EXPECT_NE(a[0].run_id, a[1].run_id);
  EXPECT_EQ(a[0].batch_id, b[0].batch_id);
}

TEST(RunBuilder, AppliesWorkflowDefaultsAndQueueLimits) {
  WorkflowView view;
  Workflow w;
  w.project = "p";
  w.workflow_id = "wf";
  w.endpoint = "http://127.0.0.1:1/run";
  w.queues = {{"limited", 2}};
  w.timeout_seconds = 60;
  w.max_attempts = 5;
  ASSERT_TRUE(view.apply(w.key(), encodeWorkflow(w), 0));
  RunItem limited = item(90);
  limited.queue = "limited";
  RunItem unlimited = item(90);
  unlimited.queue = "free";
  unlimited.timeout_seconds = 10;
  RunItem keyed = item(90);
  keyed.queue = "limited";
  keyed.concurrency_key = "tenant";
  auto runs = buildRuns({limited, unlimited, keyed}, ctx(), kLanes, &view);
  EXPECT_EQ(runs[0].queue_limit, 2);
  EXPECT_EQ(runs[0].routingKey(), "limited");
  EXPECT_EQ(runs[0].timeout_seconds, 60);
  EXPECT_EQ(runs[0].max_attempts, 5);
  EXPECT_EQ(runs[1].queue_limit, 0);
  EXPECT_EQ(runs[1].routingKey(), runs[1].run_id);
  EXPECT_EQ(runs[1].timeout_seconds, 10);
  EXPECT_EQ(runs[2].routingKey(), "tenant");
}

TEST(RunBuilder, RequestMessageCarriesLaneTopicRoutingKeyAndHeaders) {
  auto runs = buildRuns({item(10)}, ctx(), kLanes, nullptr);
  KafkaSettings s;
  s.topic_prefix = "x.";
  auto m = requestMessage(Topics(s), runs[0]);
  EXPECT_EQ(m.topic, "x.runs.requested.high");
  EXPECT_EQ(m.key, runs[0].run_id);
  EXPECT_EQ(m.value, encodeRun(runs[0]));
  ASSERT_EQ(m.headers.size(), 2u);
  EXPECT_EQ(m.headers[0], (std::pair<std::string, std::string>("batch_id", runs[0].batch_id)));
  EXPECT_EQ(m.headers[1], (std::pair<std::string, std::string>("project", "p")));
}

TEST(RunBuilder, AnswersAreWellFormedJson) {
  auto runs = buildRuns({item(10), item(20)}, ctx(), kLanes, nullptr);
  rapidjson::Document d;
  d.Parse(batchAnswer(runs[0].batch_id, runs[0].created_at, runs, {false, true}).c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["created_at"].GetString(), "2023-11-14T22:13:20.000Z");
  ASSERT_EQ(d["runs"].Size(), 2u);
  EXPECT_EQ(d["runs"][1]["run_id"].GetString(), runs[1].run_id);
  EXPECT_FALSE(d["runs"][0]["deduplicated"].GetBool());
  EXPECT_TRUE(d["runs"][1]["deduplicated"].GetBool());
  rapidjson::Document s;
  s.Parse(singleAnswer(runs[0], false).c_str());
  ASSERT_TRUE(s.IsObject());
  EXPECT_STREQ(s["status"].GetString(), "queued");
  EXPECT_FALSE(s["deduplicated"].GetBool());
}

TEST(RunBuilder, AnswersShowAnExistingRunsOwnCreationTimeAndStatus) {
  auto runs = buildRuns({item(10), item(20, "invoice-9")}, ctx(), kLanes, nullptr);
  runs[1].created_at = 1'600'000'000'000;  // what item_dedup's markExisting copies from the view
  runs[1].status = RunStatus::kCompleted;
  rapidjson::Document d;
  d.Parse(batchAnswer(runs[0].batch_id, 1'700'000'000'000, runs, {false, true}).c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["created_at"].GetString(), "2023-11-14T22:13:20.000Z");
  EXPECT_STREQ(d["runs"][0]["created_at"].GetString(), "2023-11-14T22:13:20.000Z");
  EXPECT_STREQ(d["runs"][1]["created_at"].GetString(), "2020-09-13T12:26:40.000Z");
  rapidjson::Document s;
  s.Parse(singleAnswer(runs[1], true).c_str());
  ASSERT_TRUE(s.IsObject());
  EXPECT_STREQ(s["status"].GetString(), "completed");
  EXPECT_STREQ(s["created_at"].GetString(), "2020-09-13T12:26:40.000Z");
  EXPECT_TRUE(s["deduplicated"].GetBool());
}

TEST(RunBuilder, InputsLeftInTheBodyAreNamedNotCopiedAndTheRecordCarriesThem) {
  const std::string body = R"({"runs":[{"input":{"a":"x\"y"}},{"input":[1, 2]}]})";
  auto items = std::vector<RunItem>{item(90), item(90), item(90)};
  const std::string_view text(body);
  items[0].input_text = text.substr(text.find(R"({"a")"), 12);
  items[2].input_text = text.substr(text.find("[1, 2]"), 6);
  ASSERT_EQ(items[0].input_text, R"({"a":"x\"y"})");
  ASSERT_EQ(items[2].input_text, "[1, 2]");
  auto copied = items;

  std::vector<std::string_view> in_body;
  auto runs = buildRuns(std::move(items), ctx(), kLanes, nullptr, &in_body);
  ASSERT_EQ(in_body.size(), 3u);
  EXPECT_EQ(in_body[0], R"({"a":"x\"y"})");
  EXPECT_TRUE(in_body[1].empty());  // an input of its own: moved into the run
  EXPECT_EQ(runs[1].input, R"({"x":1})");
  EXPECT_TRUE(runs[0].input.empty());
  const Topics topics{KafkaSettings{}};
  auto m = requestMessage(topics, runs[2], in_body[2]);
  auto decoded = decodeRun(m.value);
  ASSERT_TRUE(decoded) << m.value;
  EXPECT_EQ(decoded->input, "[1,2]");  // re-serialised by the decoder
  EXPECT_NE(m.value.find(R"("input":[1, 2],)"), std::string::npos) << m.value;  // the body's own text

  // Without somewhere to name them, the inputs are copied into the runs.
  auto runs_copied = buildRuns(std::move(copied), ctx(), kLanes, nullptr);
  EXPECT_EQ(runs_copied[0].input, R"({"a":"x\"y"})");
  EXPECT_EQ(runs_copied[2].input, "[1, 2]");
}
