// Ordering decisions of a dispatcher with few slots: a high-priority run submitted behind a bulk
// backlog starts before the backlog drains; a tenant's few runs are not held back by another
// tenant's many; a queued run that is cancelled never starts.
#include <gtest/gtest.h>

#include <algorithm>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "harness.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

class DispatcherOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Workflow w;
    w.project = "test";
    w.workflow_id = "demo";
    w.endpoint = worker_.url("/demo");
    sys_.registerWorkflow(w);
    sys_.startDispatcher({{"BATCHRUN_DISPATCHER_MAX_INFLIGHT", "2"}});
    ASSERT_TRUE(waitFor([&] { return sys_.dispatcherReady(0); }, 90s)) << sys_.dispatcher(0).log();
  }
  // Index of each run's first `started` event in the order the events arrived.
  std::map<std::string, size_t> startOrder() {
    std::map<std::string, size_t> out;
    size_t i = 0;
    for (auto& e : sys_.events().all()) {
      if (e.type == event_type::kStarted && out.emplace(e.run_id, i).second) ++i;
    }
    return out;
  }
  bool allTerminal(const std::vector<batchrun::Run>& runs) {
    auto t = sys_.events().terminalPerRun();
    return std::all_of(runs.begin(), runs.end(), [&](auto& r) { return t.count(r.run_id) > 0; });
  }
  System sys_{2};
  DemoWorker worker_;
};

TEST_F(DispatcherOrderTest, HighPriorityRunsOvertakeABulkBacklog) {
  std::vector<batchrun::Run> bulk;
  for (int i = 0; i < 600; ++i) bulk.push_back(sys_.makeRun("demo", R"({"sleep_ms":10})", 95));
  sys_.submitAll(bulk);
  ASSERT_TRUE(waitFor([&] { return startOrder().size() >= 10; }, 30s));
  std::vector<batchrun::Run> high;
  for (int i = 0; i < 5; ++i) high.push_back(sys_.makeRun("demo", "{}", 1));
  int64_t t0 = SystemClock::instance().nowMs();
  sys_.submitAll(high);
  int64_t t1 = SystemClock::instance().nowMs();
  ASSERT_TRUE(waitFor([&] { return allTerminal(high) && allTerminal(bulk); }, 90s));
  auto order = startOrder();
  size_t last_high = 0;
  for (auto& r : high) last_high = std::max(last_high, order.at(r.run_id));
  size_t bulk_after = 0;
  for (auto& r : bulk) bulk_after += order.at(r.run_id) > last_high;
  // The backlog was far from drained when every high run had started.
  EXPECT_GT(bulk_after, 150u) << "high runs started at position " << last_high << " submit took " << (t1 - t0)
                              << " first seen " << (sys_.events().forRun(high[0].run_id).front().received_ms - t0)
                              << " backlog seen at " << (startOrder().size());
}

TEST_F(DispatcherOrderTest, FewRunsOfOneKeyAreNotHeldBackByManyOfAnother) {
  std::vector<batchrun::Run> runs;
  for (int i = 0; i < 200; ++i) {
    batchrun::Run r = sys_.makeRun("demo", R"({"sleep_ms":5})", 60);
    r.concurrency_key = "big-tenant";
    runs.push_back(r);
  }
  for (int i = 0; i < 10; ++i) {
    batchrun::Run r = sys_.makeRun("demo", R"({"sleep_ms":5})", 60);
    r.concurrency_key = "small-tenant";
    runs.push_back(r);
  }
  sys_.submitAll(runs);
  ASSERT_TRUE(waitFor([&] { return allTerminal(runs); }, 90s));
  auto order = startOrder();
  size_t last_small = 0;
  for (auto& r : runs) {
    if (r.concurrency_key == "small-tenant") last_small = std::max(last_small, order.at(r.run_id));
  }
  // Round-robin between keys: the small tenant's 10 runs interleave with the big one's.
  EXPECT_LT(last_small, 100u);
}

TEST_F(DispatcherOrderTest, CancelledQueuedRunNeverStarts) {
  std::vector<batchrun::Run> blockers;
  for (int i = 0; i < 2; ++i) blockers.push_back(sys_.makeRun("demo", R"({"sleep_ms":3000})", 10));
  sys_.submitAll(blockers);
  ASSERT_TRUE(waitFor([&] { return startOrder().size() == 2; }, 30s));
  batchrun::Run queued = sys_.makeRun("demo", "{}", 10);
  sys_.submit(queued);
  sys_.cancel(queued);
  ASSERT_TRUE(waitFor([&] { return !sys_.events().forRun(queued.run_id).empty(); }, 30s));
  auto ev = sys_.events().forRun(queued.run_id);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, event_type::kCancelled);
  EXPECT_EQ(worker_.requestsByRun().count(queued.run_id), 0u);
}

}  // namespace
