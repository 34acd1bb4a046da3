// BatchEvents without Kafka: events fed as the follower would, time from a ManualClock. What a
// batch's stream replays, and how long the log keeps it.
#include <gtest/gtest.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/ingest/read/batch_events.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {
constexpr int64_t kHour = 3'600'000;
}

TEST(BatchEvents, ABatchWithNoEventForTheTopicsRetentionIsForgottenWhole) {
  ManualClock clock;
  BatchEventsConfig config;
  config.retain_ms = kHour;
  config.forget_ms = 24 * kHour;
  BatchEvents events(config, clock);
  const int64_t t0 = clock.nowMs();
  events.apply("b-old", "r1", "e1", event_type::kCompleted, "{}", t0);
  events.apply("b-old", "", "c1", event_type::kBatchCompleted, R"({"data":{"total":1}})", t0, "p");
  events.apply("b-busy", "r2", "e2", event_type::kStarted, "{}", t0);

  clock.advance(2 * kHour);
  events.sweep();  // bodies of the completed batch go, the batch stays: it replays batch.completed
  auto old = events.read("b-old", 0);
  ASSERT_EQ(old.events.size(), 1u);
  EXPECT_EQ(old.events.front()->type, event_type::kBatchCompleted);
  EXPECT_TRUE(old.finished);

  clock.advance(21 * kHour);
  events.apply("b-busy", "r2", "e3", event_type::kCompleted, "{}", clock.nowMs());
  clock.advance(2 * kHour);  // 25 h after b-old's last event, 2 h after b-busy's
  events.sweep();
  old = events.read("b-old", 0);
  EXPECT_TRUE(old.events.empty());
  EXPECT_FALSE(old.finished);
  EXPECT_EQ(events.read("b-busy", 0).events.size(), 2u);
}

TEST(BatchEvents, AnEmptyBatchIsKnownUntilItIsForgotten) {
  ManualClock clock;
  BatchEventsConfig config;
  config.forget_ms = 24 * kHour;
  BatchEvents events(config, clock);
  events.apply("b", "", "c", event_type::kBatchCompleted, R"({"data":{"total":0}})", clock.nowMs(), "p");
  ASSERT_TRUE(events.emptyBatch("p", "b"));
  EXPECT_FALSE(events.emptyBatch("other", "b"));
  clock.advance(24 * kHour);
  events.sweep();
  EXPECT_FALSE(events.emptyBatch("p", "b"));
}
