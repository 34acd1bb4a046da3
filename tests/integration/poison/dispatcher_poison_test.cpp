// The dispatcher against poison in every topic it consumes (issue #24 "No poison records"): the
// lane topics, runs.control, runs.state (read when a partition is assigned), workflows and
// batches.progress. It stays up, copies each record to the dead-letter topic with where it came
// from and why, counts it, ends the runs such records still name `failed` (invalid_record) — a
// request, or a control record keyed by a run in flight — and runs the next valid request to
// completion.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "../dispatcher/harness.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/events.hpp"
#include "poison_support.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

std::string terminalStatus(System& sys, const std::string& run_id, std::string* error_code = nullptr) {
  for (auto& e : sys.events().forRun(run_id)) {
    if (e.type == event_type::kStarted || e.type == event_type::kRetrying) continue;
    if (error_code) *error_code = e.error_code;
    return e.status;
  }
  return {};
}

TEST(PoisonRecords, DispatcherSkipsEveryPoisonRecordAndRunsTheNextRequest) {
  System sys(1);
  DemoWorker worker;
  DeadLetters dead(sys.kafka());
  auto producer = Producer::create(sys.kafka());
  ASSERT_TRUE(producer) << producer.error().message;
  const Topics& t = sys.topics();
  std::map<std::string, size_t> expected;  // source topic → poison records produced

  // Read before the dispatcher takes any run: runs.state when its partition is assigned, workflows
  // before it reads runs. The workflow is registered after the poison, so using it proves the
  // follower went past.
  expected[t.state] = producePoison(**producer, t.state, 0, poisonValues(false), uuidv7());
  expected[t.workflows] = producePoison(**producer, t.workflows, 0, poisonValues(true), "test/demo");
  Workflow demo;
  demo.project = "test";
  demo.workflow_id = "demo";
  demo.endpoint = worker.url("/demo");
  sys.registerWorkflow(demo);
  const size_t d = sys.startDispatcher();
  ASSERT_TRUE(waitFor([&] { return sys.dispatcherReady(d); }, 90s)) << sys.dispatcher(d).log();

  for (const auto& lane : t.laneTopics()) expected[lane] = producePoison(**producer, lane, 0, poisonValues(false));
  expected[t.control] = producePoison(**producer, t.control, 0, poisonValues(false), uuidv7());
  expected[t.batch_progress] = producePoison(**producer, t.batch_progress, 0, poisonValues(false), uuidv7());

  // Records that still name their run: a request nested 100,000 deep (as an ingest without the
  // depth limit let through) and one whose fields are out of range. Both runs end failed.
  batchrun::Run deep = sys.makeRun("demo", deepJson());
  batchrun::Run bad_at_lane = sys.makeRun("demo", R"({"i":1})");  // same lane as the next valid run
  bad_at_lane.max_attempts = -3;
  bad_at_lane.priority = 1000;
  for (batchrun::Run* r : {&deep, &bad_at_lane}) {
    OutMessage m;
    m.topic = t.requested(r->lane);
    m.key = r->routingKey();
    m.value = encodeRun(*r);
    m.partition = 0;
    m.headers = {{"batch_id", r->batch_id}, {"project", r->project}};
    auto rep = (*producer)->produceSync(std::move(m));
    ASSERT_TRUE(rep && rep->ok);
    ++expected[t.requested(r->lane)];
  }

  // The next valid request on the same lane runs to completion.
  batchrun::Run next = sys.makeRun("demo", R"({"after":"poison"})");
  next.lane = deep.lane;
  sys.submit(next);
  ASSERT_TRUE(waitFor([&] { return !terminalStatus(sys, next.run_id).empty(); }, 60s)) << sys.dispatcher(d).log();
  EXPECT_EQ(terminalStatus(sys, next.run_id), "completed");
  for (const batchrun::Run* r : {&deep, &bad_at_lane}) {
    std::string code;
    ASSERT_TRUE(waitFor([&] { return !terminalStatus(sys, r->run_id).empty(); }, 30s)) << r->run_id;
    EXPECT_EQ(terminalStatus(sys, r->run_id, &code), "failed");
    EXPECT_EQ(code, "invalid_record");
  }
  // A control record that cannot be read but names a run in flight (its key) ends that run failed
  // with invalid_record, instead of leaving it to its deadline: the cancel or result is unknowable.
  batchrun::Run held = sys.makeRun("demo", R"({"sleep_ms":15000})");
  held.lane = deep.lane;
  sys.submit(held);
  ASSERT_TRUE(waitFor([&] {
    for (auto& e : sys.events().forRun(held.run_id)) {
      if (e.type == event_type::kStarted) return true;
    }
    return false;
  }, 30s)) << sys.dispatcher(d).log();
  {
    OutMessage m;
    m.topic = t.control;
    m.key = held.run_id;
    m.value = R"({"type":"result","run_id":)";  // cut short
    m.partition = 0;
    auto rep = (*producer)->produceSync(std::move(m));
    ASSERT_TRUE(rep && rep->ok);
    ++expected[t.control];
  }
  {
    std::string code;
    ASSERT_TRUE(waitFor([&] { return !terminalStatus(sys, held.run_id).empty(); }, 30s)) << sys.dispatcher(d).log();
    EXPECT_EQ(terminalStatus(sys, held.run_id, &code), "failed");
    EXPECT_EQ(code, "invalid_record");
  }
  EXPECT_TRUE(sys.dispatcher(d).running()) << sys.dispatcher(d).log();
  EXPECT_TRUE(sys.dispatcherReady(d));

  // Every poison record is on the dead-letter topic with its origin, and counted per topic.
  for (const auto& [topic, n] : expected) {
    ASSERT_TRUE(waitFor([&, topic = topic, n = n] { return dead.from(topic, "dispatcher").size() >= n; }, 30s))
        << topic << ": " << dead.from(topic).size() << " of " << n << " copied\n" << sys.dispatcher(d).log().substr(0, 6000);
    auto copies = dead.from(topic, "dispatcher");
    EXPECT_EQ(copies.size(), n) << topic;  // once each, however often the topic is re-read
    std::set<std::string> offsets;
    for (auto& c : copies) {
      EXPECT_EQ(c.headers["batchrun-dlq-partition"], "0");
      EXPECT_FALSE(c.headers["batchrun-dlq-reason"].empty()) << topic;
      offsets.insert(c.headers["batchrun-dlq-offset"]);
    }
    EXPECT_EQ(offsets.size(), n) << topic;
    EXPECT_EQ(sys.metric(d, "batchrun_dispatcher_poison_records_total{topic=\"" + topic + "\"}"), static_cast<double>(n))
        << topic;
  }
  // The copy keeps the original key, value and headers.
  auto lane_copies = dead.from(t.requested(deep.lane), "dispatcher");
  auto deep_copy = std::find_if(lane_copies.begin(), lane_copies.end(), [](auto& c) { return c.headers["poison"] == "deep"; });
  ASSERT_NE(deep_copy, lane_copies.end());
  EXPECT_EQ(deep_copy->value, deepJson());
  EXPECT_EQ(deep_copy->key, "poison-key");
}

}  // namespace
