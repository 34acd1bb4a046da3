// Dispatchers dying and leaving: kill -9 mid-batch and start again; two dispatchers sharing the
// partitions, one stopped (mid-batch, and after it, when its handover marker spares the next owner
// announcing its last moments again). Every run reaches exactly one terminal status, batch.completed is
// announced once, and only runs that were in flight are executed twice: at most the calls in flight
// plus BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES outcomes not yet acknowledged by Kafka.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "batchrun/common/records/events.hpp"
#include "batchrun/common/records/handover_marker.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/dispatcher/state/state_reader.hpp"
#include "harness.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kRuns = 600;
constexpr int kMaxInflight = 20;
constexpr int kMaxUnacked = 5;  // small, so the bound below is far under the batch

class DispatcherFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Workflow w;
    w.project = "test";
    w.workflow_id = "demo";
    w.endpoint = worker_.url("/demo");
    sys_.registerWorkflow(w);
    batch_ = "batch-" + uuidv7();
    for (int i = 0; i < kRuns; ++i) {
      batchrun::Run r = sys_.makeRun("demo", R"({"sleep_ms":20})", 90);
      r.batch_id = batch_;
      r.batch_size = kRuns;
      r.batch_index = i;
      r.concurrency_key = "k" + std::to_string(i % 7);  // spread over every partition
      runs_.push_back(r);
    }
  }
  std::map<std::string, std::string> env() const {
    return {{"BATCHRUN_DISPATCHER_MAX_INFLIGHT", std::to_string(kMaxInflight)},
            {"BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES", std::to_string(kMaxUnacked)}};
  }
  size_t terminalRuns() { return sys_.events().terminalPerRun().size(); }
  // Runs whose latest durable state is `running`: what was in flight when a dispatcher died, from
  // Kafka's point of view (its call in flight, or its outcome not yet durable).
  std::set<std::string> runningInState() {
    std::map<std::string, batchrun::Run> latest;
    std::vector<int32_t> parts;
    for (int32_t p = 0; p < sys_.kafka().partitions; ++p) parts.push_back(p);
    auto st = dispatcher::readPartitionsToEnd(sys_.kafka(), sys_.topics().state, parts, [&](const Message& m) {
      auto run = decodeRun(m.value());
      if (run && (latest.count(run->run_id) == 0 || latest[run->run_id].version <= run->version)) {
        latest[run->run_id] = *run;
      }
    });
    EXPECT_TRUE(st.ok());
    std::set<std::string> out;
    for (auto& [id, run] : latest) {
      if (run.status == RunStatus::kRunning) out.insert(id);
    }
    return out;
  }
  // Each run: exactly one terminal status (re-recording the same transition yields the same event
  // id, which counts once), one batch.completed; a run executed twice was in flight at the crash.
  void expectExactlyOnceOutcomes(const std::set<std::string>& in_flight_at_crash) {
    bool all = waitFor([&] { return terminalRuns() == static_cast<size_t>(kRuns); }, 60s);
    std::string missing;
    if (!all) {
      auto per_run = sys_.events().terminalPerRun();
      auto by_run = worker_.requestsByRun();
      for (auto& r : runs_) {
        if (per_run.count(r.run_id)) continue;
        missing += r.run_id + " p" + std::to_string(r.partition) + " events=" +
                   std::to_string(sys_.events().forRun(r.run_id).size()) + " worker=" + std::to_string(by_run[r.run_id]) + "\n";
      }
    }
    ASSERT_TRUE(all) << terminalRuns() << " terminal; missing:\n" << missing;
    auto per_run = sys_.events().terminalPerRun();
    for (auto& r : runs_) EXPECT_EQ(per_run[r.run_id], 1) << r.run_id;
    EXPECT_EQ(sys_.events().terminalStatusCounts()["completed"], kRuns);
    ASSERT_TRUE(waitFor([&] { return sys_.events().count(event_type::kBatchCompleted) >= 1; }, 60s));
    EXPECT_EQ(sys_.events().count(event_type::kBatchCompleted), 1u);
    int executed_twice = 0;
    for (auto& [run, n] : worker_.requestsByRun()) {
      if (n < 2) continue;
      ++executed_twice;
      EXPECT_TRUE(in_flight_at_crash.count(run)) << run << " executed " << n << " times but was not in flight";
    }
    EXPECT_LE(executed_twice, static_cast<int>(in_flight_at_crash.size()));
  }
  static constexpr const char* kRebuilt = "batchrun_dispatcher_partitions_rebuilt_total";
  static constexpr const char* kReannounced = "batchrun_dispatcher_events_reannounced_total";
  static constexpr const char* kOwned = "batchrun_dispatcher_partitions_owned";
  System sys_{3};
  DemoWorker worker_;
  std::string batch_;
  std::vector<batchrun::Run> runs_;
};

TEST_F(DispatcherFailoverTest, KillNineMidBatchThenRestart) {
  sys_.startDispatcher(env());
  ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0); }, 90s)) << sys_.dispatcher(0).log();
  sys_.submitAll(runs_);
  ASSERT_TRUE(waitFor([&] { return terminalRuns() >= 100; }, 60s));
  sys_.dispatcher(0).kill9();
  size_t at_crash = terminalRuns();
  EXPECT_LT(at_crash, static_cast<size_t>(kRuns));
  auto in_flight = runningInState();
  // What the next owner executes again: calls in flight (slots) plus unacknowledged outcomes.
  EXPECT_LE(in_flight.size(), static_cast<size_t>(kMaxInflight + kMaxUnacked));
  sys_.startDispatcher(env());
  expectExactlyOnceOutcomes(in_flight);
  // Killed, it left no handover marker: its last moments were announced again.
  EXPECT_GT(sys_.metric(1, kReannounced), 0) << sys_.dispatcher(1).log();
}

TEST_F(DispatcherFailoverTest, OneUnacknowledgedOutcomeAtATimeStillRunsTheWholeBatch) {
  // The tightest cap: every outcome pauses new attempts until Kafka acknowledges it; each
  // acknowledgement must start the next ones again, or the batch never ends.
  auto one = env();
  one["BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES"] = "1";
  sys_.startDispatcher(one);
  ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0); }, 90s)) << sys_.dispatcher(0).log();
  sys_.submitAll(runs_);
  expectExactlyOnceOutcomes({});
  EXPECT_GE(sys_.metric(0, "batchrun_dispatcher_backpressure_pauses_total"), 1);
  EXPECT_TRUE(waitFor([&] { return sys_.metric(0, "batchrun_dispatcher_outcomes_unacknowledged") == 0; }, 30s));
}

TEST_F(DispatcherFailoverTest, KillNineOfOneOfTwoTheOtherTakesOverItsPartitions) {
  // Prints the handover time (docs/performance.md, "Dispatcher handover"); asserts only outcomes.
  // BATCHRUN_TEST_DISPATCHER_KAFKA_CONFIG (e.g. session.timeout.ms=6000) measures other settings.
  auto e = env();
  if (const char* extra = std::getenv("BATCHRUN_TEST_DISPATCHER_KAFKA_CONFIG")) e["BATCHRUN_KAFKA_CONFIG"] = extra;
  sys_.startDispatcher(e);
  sys_.startDispatcher(e);
  ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0) && sys_.dispatcherReady(1); }, 90s));
  auto owned = [&](size_t i) { return sys_.metric(i, kOwned); };
  ASSERT_TRUE(waitFor([&] { return owned(0) > 0 && owned(1) > 0 && owned(0) + owned(1) == sys_.kafka().partitions; }, 60s));
  const double survivor_owned = owned(0), survivor_rebuilt = sys_.metric(0, kRebuilt);
  sys_.submitAll(runs_);
  ASSERT_TRUE(waitFor([&] { return terminalRuns() >= 100; }, 60s));
  const auto killed_at = std::chrono::steady_clock::now();
  sys_.dispatcher(1).kill9();
  auto in_flight = runningInState();
  EXPECT_LE(in_flight.size(), static_cast<size_t>(2 * (kMaxInflight + kMaxUnacked)));
  // Taken over: the survivor owns every partition and has rebuilt the ones it did not have. It stays
  // ready throughout: a rebalance after its first assignment is no reason to mark it unready.
  int unready_polls = 0;
  ASSERT_TRUE(waitFor([&] {
    if (!sys_.dispatcherReady(0)) ++unready_polls;
    return owned(0) == sys_.kafka().partitions && sys_.metric(0, kRebuilt) > survivor_rebuilt;
  }, 90s)) << sys_.dispatcher(0).log();
  EXPECT_EQ(unready_polls, 0) << "the survivor's /readyz answered 503 during the handover";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
  std::printf("[handover] kill -9 -> survivor rebuilt %d partition(s): %lld ms\n",
              sys_.kafka().partitions - static_cast<int>(survivor_owned), static_cast<long long>(ms.count()));
  expectExactlyOnceOutcomes(in_flight);
}

TEST_F(DispatcherFailoverTest, TwoDispatchersThenOneStops) {
  sys_.startDispatcher(env());
  sys_.startDispatcher(env());
  ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0) && sys_.dispatcherReady(1); }, 90s));
  sys_.submitAll(runs_);
  ASSERT_TRUE(waitFor([&] { return terminalRuns() >= 100; }, 60s));
  EXPECT_EQ(sys_.dispatcher(1).stop(15, 30000), 0) << sys_.dispatcher(1).log();
  // A graceful stop drains its calls; whatever it abandoned is `running` in the state now.
  expectExactlyOnceOutcomes(runningInState());
}

TEST_F(DispatcherFailoverTest, StoppedDispatcherHandsOverWithoutAnnouncingAgain) {
  sys_.startDispatcher(env());
  sys_.startDispatcher(env());
  ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0) && sys_.dispatcherReady(1); }, 90s));
  sys_.submitAll(runs_);
  ASSERT_TRUE(waitFor([&] { return terminalRuns() == static_cast<size_t>(kRuns); }, 60s));
  const double rebuilt = sys_.metric(0, kRebuilt), reannounced = sys_.metric(0, kReannounced);
  ASSERT_GE(rebuilt, 1);
  ASSERT_GE(reannounced, 0);
  // Every write of the stopped dispatcher was settled when it left: it marked its partitions, so the
  // one taking them over announces nothing again (without the marker: every run of the last 35 s).
  EXPECT_EQ(sys_.dispatcher(1).stop(15, 30000), 0) << sys_.dispatcher(1).log();
  ASSERT_TRUE(waitFor([&] { return sys_.metric(0, kRebuilt) > rebuilt; }, 60s)) << sys_.dispatcher(0).log();
  EXPECT_EQ(sys_.metric(0, kReannounced), reannounced) << sys_.dispatcher(0).log();
  expectExactlyOnceOutcomes({});
}

TEST_F(DispatcherFailoverTest, AMarkerVouchesOnlyForTheRecordsUpToItsUpto) {
  sys_.startDispatcher(env());
  ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0); }, 90s)) << sys_.dispatcher(0).log();
  sys_.submitAll(runs_);
  ASSERT_TRUE(waitFor([&] { return terminalRuns() == static_cast<size_t>(kRuns); }, 60s));
  sys_.dispatcher(0).kill9();
  // A marker that lands after every record of its partition but vouches only for its first one,
  // as one delayed past the next owner's first records would.
  auto producer = Producer::create(sys_.kafka());
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  for (int32_t p = 0; p < sys_.kafka().partitions; ++p) {
    auto report = (*producer)->produceSync(handoverMarker(sys_.topics().state, p, 0, 0));
    ASSERT_TRUE(report.ok() && report->ok);
  }
  sys_.startDispatcher(env());
  ASSERT_TRUE(waitFor([&] { return sys_.metric(1, kRebuilt) >= sys_.kafka().partitions; }, 90s))
      << sys_.dispatcher(1).log();
  // Every run's records but (at most) one per partition lie past the markers' upto: in doubt.
  EXPECT_GE(sys_.metric(1, kReannounced), kRuns - sys_.kafka().partitions) << sys_.dispatcher(1).log();
  expectExactlyOnceOutcomes({});
}

}  // namespace
