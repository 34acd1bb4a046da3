// The dispatcher as a process against the real broker and batchrun-demo-worker: a 1,000-run batch,
// priority over a backlog, fairness between keys, limits measured by the worker, retries,
// timeouts, 202 + result, cancel and dedup. Requests are produced to the lane topics as ingest does.
#include <gtest/gtest.h>

#include <algorithm>

#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "harness.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

// One system per suite: topics, a worker and a dispatcher take seconds to start.
class DispatcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sys_ = new System(3);
    worker_ = new DemoWorker();
    // Registered before the dispatcher starts, which loads every registration before reading runs.
    sys_->registerWorkflow(workflow("demo"));
    sys_->registerWorkflow(workflow("limited", 5, {{"q", 2}}));
    // A generous wait for late workflows, so a registration made after a test saw its run waiting
    // always lands inside it, however slow the machine.
    sys_->startDispatcher({{"BATCHRUN_DISPATCHER_WORKFLOW_GRACE_MS", "8000"}});
    ASSERT_TRUE(waitFor([] { return sys_->dispatcherReady(0); }, 90s)) << sys_->dispatcher(0).log();
  }
  static void TearDownTestSuite() {
    delete sys_;
    delete worker_;
  }
  static Workflow workflow(const std::string& id, int limit = 0, std::map<std::string, int> queues = {}) {
    Workflow w;
    w.project = "test";
    w.workflow_id = id;
    w.endpoint = worker_->url("/" + id);
    w.concurrency_limit = limit;
    w.queues = std::move(queues);
    return w;
  }
  static std::string statusOf(const std::string& run_id) {
    for (auto& e : sys_->events().forRun(run_id)) {
      if (e.type != event_type::kStarted && e.type != event_type::kRetrying) return e.status;
    }
    return "";
  }
  static bool terminal(const std::string& run_id) { return !statusOf(run_id).empty(); }
  static System* sys_;
  static DemoWorker* worker_;
};
System* DispatcherTest::sys_ = nullptr;
DemoWorker* DispatcherTest::worker_ = nullptr;

TEST_F(DispatcherTest, ThousandRunBatchReachesTerminalStatusesWithOneBatchCompleted) {
  std::vector<batchrun::Run> runs;
  std::string batch = "batch-" + uuidv7();
  for (int i = 0; i < 1000; ++i) {
    batchrun::Run r = sys_->makeRun("demo", i % 20 == 0 ? R"({"status":400})" : R"({"i":)" + std::to_string(i) + "}", 90);
    r.batch_id = batch;
    r.batch_size = 1000;
    r.batch_index = i;
    runs.push_back(r);
  }
  sys_->submitAll(runs);
  // Events are keyed by run and by batch, so they sit in different partitions: a reader may see
  // batch.completed before another partition's last run events. Wait for both.
  auto all_terminal = [&] {
    auto seen = sys_->events().terminalPerRun();
    return std::all_of(runs.begin(), runs.end(), [&](const batchrun::Run& r) { return seen.count(r.run_id) > 0; });
  };
  ASSERT_TRUE(waitFor([&] { return sys_->events().count(event_type::kBatchCompleted) >= 1 && all_terminal(); }, 120s))
      << sys_->events().terminalPerRun().size() << " terminal\n" << sys_->dispatcher(0).log().substr(0, 4000);
  auto per_run = sys_->events().terminalPerRun();
  int in_batch = 0;
  for (auto& r : runs) {
    ASSERT_EQ(per_run[r.run_id], 1) << r.run_id;
    ++in_batch;
  }
  EXPECT_EQ(in_batch, 1000);
  auto done = sys_->events().ofType(event_type::kBatchCompleted);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_NE(done[0].body.find("\"total\":1000"), std::string::npos) << done[0].body;
  EXPECT_NE(done[0].body.find("\"completed\":950"), std::string::npos) << done[0].body;
  EXPECT_NE(done[0].body.find("\"failed\":50"), std::string::npos) << done[0].body;
  // A completed run carries the worker's body as output.
  auto ev = sys_->events().forRun(runs[1].run_id);
  auto completed = std::find_if(ev.begin(), ev.end(), [](auto& e) { return e.type == event_type::kCompleted; });
  ASSERT_NE(completed, ev.end());
  EXPECT_NE(completed->body.find(R"("output":{"echo":{"i":1}})"), std::string::npos) << completed->body;
}

TEST_F(DispatcherTest, LimitsAreNeverExceededAtTheWorker) {
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 60; ++i) {
    batchrun::Run r = sys_->makeRun("limited", R"({"sleep_ms":30})");
    r.queue = "q";
    r.concurrency_key = "lim-k" + std::to_string(i % 4);
    runs.push_back(r);
  }
  // Runs of another workflow with a per-run queue limit (Polos queue_concurrency_limit).
  for (int i = 0; i < 20; ++i) {
    batchrun::Run r = sys_->makeRun("demo", R"({"sleep_ms":30})");
    r.queue = "own";
    r.queue_limit = 1;
    r.concurrency_key = "lim-own";
    runs.push_back(r);
  }
  sys_->submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return std::all_of(runs.begin(), runs.end(), [](auto& r) { return terminal(r.run_id); }); }, 60s));
  for (int k = 0; k < 4; ++k) {
    int max = worker_->maxInFlight("lim-k" + std::to_string(k));
    EXPECT_GE(max, 1);
    EXPECT_LE(max, 2) << "queue limit per key";
  }
  EXPECT_EQ(worker_->maxInFlight("lim-own"), 1);
  for (auto& r : runs) EXPECT_EQ(statusOf(r.run_id), "completed");
}

TEST_F(DispatcherTest, RetriesWithBackoffThenCompletesOrFails) {
  batchrun::Run flaky = sys_->makeRun("demo", R"({"fail_times":2})");
  batchrun::Run broken = sys_->makeRun("demo", R"({"status":503})");
  broken.max_attempts = 2;
  batchrun::Run rejected = sys_->makeRun("demo", R"({"status":422})");
  std::vector<batchrun::Run> runs{flaky, broken, rejected};
  sys_->submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return std::all_of(runs.begin(), runs.end(), [](auto& r) { return terminal(r.run_id); }); }, 60s));
  auto types = [&](const batchrun::Run& r) {
    std::vector<std::string> t;
    for (auto& e : sys_->events().forRun(r.run_id)) t.push_back(e.type + "/" + std::to_string(e.attempt));
    return t;
  };
  EXPECT_EQ(types(runs[0]), (std::vector<std::string>{"workflow_run.started/1", "workflow_run.retrying/1",
                                                      "workflow_run.started/2", "workflow_run.retrying/2",
                                                      "workflow_run.started/3", "workflow_run.completed/3"}));
  EXPECT_EQ(types(runs[1]), (std::vector<std::string>{"workflow_run.started/1", "workflow_run.retrying/1",
                                                      "workflow_run.started/2", "workflow_run.failed/2"}));
  EXPECT_EQ(types(runs[2]), (std::vector<std::string>{"workflow_run.started/1", "workflow_run.failed/1"}));
  auto failed = sys_->events().forRun(runs[1].run_id).back();
  EXPECT_EQ(failed.error_code, "http_503");
}

TEST_F(DispatcherTest, RunPastItsTimeoutIsTimedOut) {
  batchrun::Run slow = sys_->makeRun("demo", R"({"sleep_ms":10000})");
  slow.timeout_seconds = 1;
  batchrun::Run never_reports = sys_->makeRun("demo", R"({"status":202})");
  never_reports.timeout_seconds = 1;
  std::vector<batchrun::Run> runs{slow, never_reports};
  sys_->submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return terminal(runs[0].run_id) && terminal(runs[1].run_id); }, 30s));
  EXPECT_EQ(statusOf(runs[0].run_id), "timed_out");
  EXPECT_EQ(statusOf(runs[1].run_id), "timed_out");
}

TEST_F(DispatcherTest, AcceptedRunWaitsForItsResult) {
  batchrun::Run ok = sys_->makeRun("demo", R"({"status":202})");
  batchrun::Run bad = sys_->makeRun("demo", R"({"status":202})");
  std::vector<batchrun::Run> runs{ok, bad};
  sys_->submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return sys_->events().forRun(runs[0].run_id).size() == 1 &&
                                   sys_->events().forRun(runs[1].run_id).size() == 1; }, 30s));
  sys_->result(runs[0], true, R"({"answer":42})");
  sys_->result(runs[1], false, "worker_said_no", 1);
  ASSERT_TRUE(waitFor([&] { return terminal(runs[0].run_id) && terminal(runs[1].run_id); }, 30s));
  EXPECT_EQ(statusOf(runs[0].run_id), "completed");
  EXPECT_NE(sys_->events().forRun(runs[0].run_id).back().body.find(R"("output":{"answer":42})"), std::string::npos);
  EXPECT_EQ(statusOf(runs[1].run_id), "failed");
  EXPECT_EQ(sys_->events().forRun(runs[1].run_id).back().error_code, "worker_said_no");
}

TEST_F(DispatcherTest, CancelAbandonsARunningRun) {
  batchrun::Run r = sys_->makeRun("demo", R"({"sleep_ms":5000})");
  sys_->submit(r);
  ASSERT_TRUE(waitFor([&] { return !sys_->events().forRun(r.run_id).empty(); }, 30s));
  sys_->cancel(r);
  ASSERT_TRUE(waitFor([&] { return terminal(r.run_id); }, 30s));
  EXPECT_EQ(statusOf(r.run_id), "cancelled");
}

TEST_F(DispatcherTest, ResubmittedRunIsNotExecutedAgain) {
  batchrun::Run r = sys_->makeRun("demo", R"({"dedup":1})");
  r.concurrency_key = "dedup-key";
  sys_->submit(r);
  ASSERT_TRUE(waitFor([&] { return terminal(r.run_id); }, 30s));
  // The same run again, then a marker on the same partition (same key): once the marker is done,
  // the duplicate has been read — and skipped.
  batchrun::Run again = r;
  batchrun::Run marker = sys_->makeRun("demo", R"({"dedup":2})");
  marker.concurrency_key = "dedup-key";
  std::vector<batchrun::Run> runs{again, marker};
  sys_->submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return terminal(marker.run_id); }, 30s));
  EXPECT_EQ(sys_->events().forRun(r.run_id).size(), 2u);  // started + completed, once
  EXPECT_EQ(worker_->requestsByRun()[r.run_id], 1);
}

// Two ingest instances that take the same per-item idempotency key at the same moment both write
// the run's request, each under its own batch: the run executes once and counts in every batch
// that requested it, whether the other request is read while the run is running or after it ended.
TEST_F(DispatcherTest, ARunRequestedByTwoBatchesRunsOnceAndCompletesBoth) {
  auto member = [&](const std::string& input, const std::string& batch, int size) {
    batchrun::Run r = sys_->makeRun("demo", input);
    r.concurrency_key = "alias-key";  // one partition, as the same routing key gives
    r.batch_id = batch;
    r.batch_size = size;
    return r;
  };
  const std::string a = "batch-" + uuidv7(), b = "batch-" + uuidv7(), c = "batch-" + uuidv7();
  batchrun::Run shared = member(R"({"sleep_ms":500})", a, 2);
  batchrun::Run in_a = member("{}", a, 2);
  batchrun::Run shared_b = shared;  // the other instance's request: same run id, batch b
  shared_b.batch_id = b;
  batchrun::Run in_b = member("{}", b, 2);
  std::vector<batchrun::Run> runs{shared, in_a, shared_b, in_b};
  sys_->submitAll(runs);
  auto completed = [&](const std::string& batch) {
    for (auto& e : sys_->events().ofType(event_type::kBatchCompleted)) {
      if (e.batch_id == batch) return true;
    }
    return false;
  };
  ASSERT_TRUE(waitFor([&] { return completed(a) && completed(b); }, 60s)) << sys_->dispatcher(0).log().substr(0, 4000);
  // Read after the run ended: counted at once.
  batchrun::Run shared_c = shared;
  shared_c.batch_id = c;
  shared_c.batch_size = 1;
  sys_->submit(shared_c);
  ASSERT_TRUE(waitFor([&] { return completed(c); }, 60s)) << sys_->dispatcher(0).log().substr(0, 4000);
  for (auto& e : sys_->events().ofType(event_type::kBatchCompleted)) {
    if (e.batch_id == b) {
      EXPECT_NE(e.body.find("\"total\":2"), std::string::npos) << e.body;
    }
    if (e.batch_id == c) {
      EXPECT_NE(e.body.find("\"completed\":1"), std::string::npos) << e.body;
    }
  }
  EXPECT_EQ(worker_->requestsByRun()[shared.run_id], 1);
  EXPECT_EQ(sys_->events().forRun(shared.run_id).size(), 2u);  // started + completed, once
}

TEST_F(DispatcherTest, RunWithoutEndpointFailsAfterWaitingWithoutHoldingUpOthers) {
  batchrun::Run r = sys_->makeRun("unregistered", "{}");
  r.concurrency_key = "waits-for-workflow";  // same partition and fairness key as the run behind it
  batchrun::Run behind = sys_->makeRun("demo", "{}");
  behind.concurrency_key = r.concurrency_key;
  std::vector<batchrun::Run> runs{r, behind};
  sys_->submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return terminal(r.run_id); }, 60s));
  EXPECT_EQ(statusOf(r.run_id), "failed");
  auto events = sys_->events().forRun(r.run_id);
  ASSERT_EQ(events.size(), 1u);  // never started
  EXPECT_EQ(events.back().error_code, "no_endpoint");
  // While it waited for its workflow, the run behind it on the same key ran to completion.
  auto others = sys_->events().forRun(behind.run_id);
  ASSERT_FALSE(others.empty());
  EXPECT_EQ(statusOf(behind.run_id), "completed");
  EXPECT_LT(others.back().received_ms, events.back().received_ms);
}

TEST_F(DispatcherTest, RunReadBeforeItsWorkflowIsRegisteredWaitsForIt) {
  const std::string id = "late-" + uuidv7().substr(24);
  batchrun::Run r = sys_->makeRun(id, R"({"late":true})");
  sys_->submit(r);  // the run first ...
  auto awaiting = [] { return sys_->metric(0, "batchrun_dispatcher_runs_awaiting_workflow") >= 1; };
  ASSERT_TRUE(waitFor(awaiting, 30s)) << "the dispatcher never read the run";
  sys_->registerWorkflow(workflow(id));  // ... then its workflow
  ASSERT_TRUE(waitFor([&] { return terminal(r.run_id); }, 30s));
  EXPECT_EQ(statusOf(r.run_id), "completed");
  EXPECT_EQ(worker_->requestsByRun()[r.run_id], 1);
}

}  // namespace
