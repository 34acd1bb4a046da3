// The Kafka wrappers against the real broker: produce with a delivery result, consume it back,
// topic creation twice, a follower reading a topic to its end.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

TEST(KafkaIntegration, TopicCreationTwiceIsHarmless) {
  auto s = uniqueKafkaSettings(3);
  auto specs = standardTopics(s);
  ASSERT_TRUE(ensureTopics(s, specs)) << "first";
  auto again = ensureTopics(s, specs);
  ASSERT_TRUE(again) << again.error().message;
  auto n = partitionCount(s, Topics(s).state);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3);
  // Created as specified: nothing differs.
  auto drift = configDrift(s, specs);
  ASSERT_TRUE(drift) << drift.error().message;
  EXPECT_TRUE(drift->empty()) << drift->front();
}

// Topics are never altered: a runs.state created before the run retention (compaction only) is
// reported, so the operator can apply the new settings (docs/topics.md).
TEST(KafkaIntegration, AnExistingTopicWithOtherSettingsIsReported) {
  auto s = uniqueKafkaSettings(1);
  auto specs = standardTopics(s);
  const std::string state = Topics(s).state;
  TopicSpec old = *std::find_if(specs.begin(), specs.end(), [&](const TopicSpec& t) { return t.name == state; });
  old.config = {{"cleanup.policy", "compact"}};
  ASSERT_TRUE(ensureTopics(s, {old}));
  auto drift = configDrift(s, specs);
  ASSERT_TRUE(drift) << drift.error().message;
  std::string all;
  for (const auto& d : *drift) all += d + "\n";
  EXPECT_NE(all.find(state + " cleanup.policy=compact (configured: compact,delete)"), std::string::npos) << all;
  EXPECT_NE(all.find(state + " retention.ms="), std::string::npos) << all;
  // With segment.ms and min.cleanable.dirty.ratio (the broker's defaults); topics not created are skipped.
  EXPECT_EQ(drift->size(), 4u) << all;
}

TEST(KafkaIntegration, ProduceThenConsumeWithDeliveryResult) {
  auto s = uniqueKafkaSettings(3);
  { auto st = ensureTopics(s, standardTopics(s)); ASSERT_TRUE(st) << st.error().message; }
  Topics topics(s);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer) << producer.error().message;

  OutMessage m;
  m.topic = topics.requested("high");
  m.key = "k1";
  m.value = R"({"hello":"kafka"})";
  m.headers = {{"batch_id", "b1"}};
  auto report = (*producer)->produceSync(std::move(m));
  ASSERT_TRUE(report);
  ASSERT_TRUE(report->ok) << report->error;
  EXPECT_GE(report->partition, 0);
  EXPECT_GE(report->offset, 0);

  ConsumerOptions opts;
  opts.group_id = s.topic_prefix + "g";
  auto consumer = Consumer::create(s, opts);
  ASSERT_TRUE(consumer);
  ASSERT_TRUE((*consumer)->subscribe({topics.requested("high")}));
  Message got;
  ASSERT_TRUE(waitFor([&] {
    got = (*consumer)->poll(200);
    return got && !got.isError();
  }, 30s));
  EXPECT_EQ(got.key(), "k1");
  EXPECT_EQ(got.value(), R"({"hello":"kafka"})");
  EXPECT_EQ(got.partition(), report->partition);
  EXPECT_EQ(got.offset(), report->offset);
  ASSERT_TRUE(got.header("batch_id"));
  EXPECT_EQ(*got.header("batch_id"), "b1");
  (*consumer)->storeOffset({got.topic(), got.partition()}, got.offset() + 1);
  EXPECT_TRUE((*consumer)->commitSync());
}

TEST(KafkaIntegration, ProducingToAMissingTopicFailsWithAClearReport) {
  auto s = uniqueKafkaSettings(1);
  s.message_timeout_ms = 3000;
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  OutMessage m;
  m.topic = s.topic_prefix + "does-not-exist";
  m.value = "x";
  auto report = (*producer)->produceSync(std::move(m));
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_FALSE(report->error.empty());
}

TEST(KafkaIntegration, FollowerReadsToTheEndThenKeepsFollowing) {
  auto s = uniqueKafkaSettings(3);
  { auto st = ensureTopics(s, standardTopics(s)); ASSERT_TRUE(st) << st.error().message; }
  Topics topics(s);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  for (int i = 0; i < 50; ++i) {
    OutMessage m{topics.workflows, "k" + std::to_string(i), "v" + std::to_string(i), {}};
    ASSERT_TRUE((*producer)->produceSync(std::move(m))->ok);
  }
  std::atomic<int> seen{0};
  auto follower = TopicFollower::start(s, {topics.workflows}, [&](const Message&) { ++seen; });
  ASSERT_TRUE(follower) << follower.error().message;
  ASSERT_TRUE((*follower)->waitCaughtUp(30000));
  EXPECT_EQ(seen.load(), 50);
  OutMessage more{topics.workflows, "late", "v", {}};
  ASSERT_TRUE((*producer)->produceSync(std::move(more))->ok);
  EXPECT_TRUE(waitFor([&] { return seen.load() == 51; }, 30s));
}

TEST(KafkaIntegration, PerPartitionQueuesHoldRecordsUntilAsked) {
  auto s = uniqueKafkaSettings(2);
  { auto st = ensureTopics(s, standardTopics(s)); ASSERT_TRUE(st) << st.error().message; }
  Topics topics(s);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  for (int p = 0; p < 2; ++p) {
    OutMessage m{topics.requested("bulk"), "k", "p" + std::to_string(p), {}, p};
    ASSERT_TRUE((*producer)->produceSync(std::move(m))->ok);
  }
  ConsumerOptions opts;
  opts.group_id = s.topic_prefix + "pq";
  opts.per_partition_queues = true;
  auto consumer = Consumer::create(s, opts);
  ASSERT_TRUE(consumer);
  ASSERT_TRUE((*consumer)->subscribe({topics.requested("bulk")}));
  ASSERT_TRUE(waitFor([&] {
    auto m = (*consumer)->poll(100);
    EXPECT_FALSE(m && !m.isError()) << "records must not reach the main queue";
    return (*consumer)->assignment().size() == 2;
  }, 30s));
  Message got;
  ASSERT_TRUE(waitFor([&] {
    (*consumer)->poll(0);
    got = (*consumer)->pollPartition({topics.requested("bulk"), 1});
    return got && !got.isError();
  }, 30s));
  EXPECT_EQ(got.value(), "p1");
}

TEST(KafkaIntegration, FollowerSyncCallsBackOnlyAfterEverythingProducedBeforeIt) {
  auto s = uniqueKafkaSettings(3);
  { auto st = ensureTopics(s, standardTopics(s)); ASSERT_TRUE(st) << st.error().message; }
  Topics topics(s);
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  std::atomic<int> seen{0};
  auto follower = TopicFollower::start(s, {topics.workflows}, [&](const Message&) { ++seen; });
  ASSERT_TRUE(follower) << follower.error().message;
  ASSERT_TRUE((*follower)->waitCaughtUp(30000));
  // Each record is acknowledged before the sync is asked for, so the callback must find it handled
  // even though the follower (caught up long ago) fetches it only some milliseconds later.
  for (int i = 1; i <= 20; ++i) {
    OutMessage m{topics.workflows, "k" + std::to_string(i), "v", {}};
    ASSERT_TRUE((*producer)->produceSync(std::move(m))->ok);
    auto seen_at_callback = std::make_shared<std::atomic<int>>(-1);  // shared: outlives a failed wait
    (*follower)->syncThen([&seen, seen_at_callback] { *seen_at_callback = seen.load(); });
    ASSERT_TRUE(waitFor([&] { return seen_at_callback->load() >= 0; }, 30s)) << "sync " << i << " never called back";
    EXPECT_EQ(seen_at_callback->load(), i);
  }
  // Nothing new: the callback still comes.
  auto idle_done = std::make_shared<std::atomic<bool>>(false);
  (*follower)->syncThen([idle_done] { *idle_done = true; });
  EXPECT_TRUE(waitFor([&] { return idle_done->load(); }, 30s));
  (*follower)->stop();  // before `seen` goes away
}
