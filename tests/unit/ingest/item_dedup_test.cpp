// Per-item idempotency keys at the builder level: which items name an existing run, what the answer
// shows for them, and what is left to produce (with a batch_size that counts only that).
#include <gtest/gtest.h>

#include <map>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/ingest/write/item_dedup.hpp"
#include "batchrun/ingest/write/run_builder.hpp"
#include "batchrun/ingest/write/run_ids.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kEarlier = 1'600'000'000'000;

RunItem item(std::string key = {}) {
  RunItem i;
  i.workflow_id = "wf";
  i.input = R"({"x":1})";
  i.idempotency_key = std::move(key);
  return i;
}

std::vector<Run> batchOf(std::vector<RunItem> items) {
  RunContext c;
  c.project = "p";
  c.batch_id = batchIdFor("p", {}, kNow);
  c.created_at = kNow;
  return buildRuns(std::move(items), c, KafkaSettings{}.lanes, nullptr);
}

// A read view of the test's own: (project, run id) → run.
struct FakeView {
  std::map<std::pair<std::string, std::string>, Run> runs;
  int lookups = 0;
  void add(const std::string& project, const std::string& item_key, RunStatus status) {
    Run r;
    r.project = project;
    r.run_id = runIdFor(project, {}, 0, item_key, Uuid{});
    r.created_at = kEarlier;
    r.status = status;
    runs[{project, r.run_id}] = r;
  }
  RunLookup lookup() {
    return [this](const std::string& project, const std::string& run_id) -> std::optional<Run> {
      ++lookups;
      auto it = runs.find({project, run_id});
      if (it == runs.end()) return std::nullopt;
      return it->second;
    };
  }
};

}  // namespace

TEST(ItemDedup, OnlyKeyedItemsAreLookedUpAndExistingOnesShowTheExistingRun) {
  FakeView view;
  view.add("p", "invoice-9", RunStatus::kCompleted);
  view.add("other-project", "invoice-7", RunStatus::kQueued);
  auto runs = batchOf({item(), item("invoice-9"), item("invoice-7"), item()});
  auto existing = markExisting(runs, {false, true, true, false}, view.lookup());
  EXPECT_EQ(existing, (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(view.lookups, 2) << "items without a key of their own are not looked up";
  EXPECT_EQ(runs[1].created_at, kEarlier);
  EXPECT_EQ(runs[1].status, RunStatus::kCompleted);
  // invoice-7 exists in another project only: keys are per project, so this one is new.
  EXPECT_EQ(runs[2].created_at, kNow);
  EXPECT_EQ(runs[2].status, RunStatus::kQueued);
}

TEST(ItemDedup, WithoutALookupNothingIsDeduplicated) {
  auto runs = batchOf({item("a")});
  EXPECT_EQ(markExisting(runs, {true}, RunLookup{}), (std::vector<bool>{false}));
}

TEST(ItemDedup, TheNewBatchIsTheRunsItProduces) {
  auto runs = batchOf({item("a"), item(), item("b"), item()});
  ASSERT_EQ(runs[0].batch_size, 4);
  const std::string third = runs[2].run_id, fourth = runs[3].run_id;
  auto produced = takeNew(runs, {true, false, false, false});
  ASSERT_EQ(produced.size(), 3u);
  EXPECT_EQ(produced[1].run_id, third);
  EXPECT_EQ(produced[2].run_id, fourth);
  for (const batchrun::Run& r : produced) {
    EXPECT_EQ(r.batch_size, 3) << "batch.completed fires when these three are terminal";
  }
  // Positions stay the items' positions in the request (the answer's runs[i]).
  EXPECT_EQ(produced[0].batch_index, 1);
  EXPECT_EQ(produced[2].batch_index, 3);
}

TEST(ItemDedup, NothingDeduplicatedLeavesTheBatchAsBuilt) {
  auto runs = batchOf({item("a"), item()});
  auto produced = takeNew(runs, {});
  ASSERT_EQ(produced.size(), 2u);
  EXPECT_EQ(produced[0].batch_size, 2);
  auto again = batchOf({item("a"), item()});
  EXPECT_EQ(takeNew(again, {false, false}).size(), 2u);
}

TEST(ItemDedup, EveryItemExistingLeavesNothingToProduce) {
  auto runs = batchOf({item("a"), item("b")});
  EXPECT_TRUE(takeNew(runs, {true, true}).empty());
}

TEST(ItemDedup, ASingleRunKeepsItsZeroBatchSize) {
  RunContext c;
  c.project = "p";
  c.created_at = kNow;
  c.is_batch = false;
  auto runs = buildRuns({item("a")}, c, KafkaSettings{}.lanes, nullptr);
  auto produced = takeNew(runs, {false});
  ASSERT_EQ(produced.size(), 1u);
  EXPECT_EQ(produced[0].batch_size, 0);
}

TEST(ItemDedup, FlagsAndIndexesConvertBothWays) {
  EXPECT_EQ(indexesOf({false, true, false, true}), (std::vector<int>{1, 3}));
  EXPECT_TRUE(indexesOf({}).empty());
  EXPECT_EQ(flagsOf({1, 3}, 4), (std::vector<bool>{false, true, false, true}));
  // Indexes outside the request (a record from another body cannot match, but be safe) are ignored.
  EXPECT_EQ(flagsOf({-1, 5}, 2), (std::vector<bool>{false, false}));
}
