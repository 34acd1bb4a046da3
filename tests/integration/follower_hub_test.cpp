// Several TopicFollowers on one FollowerHub (one consumer): each reads its own topics from the
// beginning, a follower added or removed later leaves the others' positions alone, and a stopped
// follower is never called again.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "batchrun/common/kafka/follower_hub.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "kafka_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

class FollowerHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_ = uniqueKafkaSettings(3);
    auto st = ensureTopics(s_, standardTopics(s_));
    ASSERT_TRUE(st) << st.error().message;
    auto producer = Producer::create(s_);
    ASSERT_TRUE(producer);
    producer_ = std::move(*producer);
    auto hub = FollowerHub::create(s_);
    ASSERT_TRUE(hub) << hub.error().message;
    hub_ = std::move(*hub);
  }
  void produce(const std::string& topic, int n) {
    for (int i = 0; i < n; ++i) {
      OutMessage m{topic, "k" + std::to_string(i), "v", {}};
      ASSERT_TRUE(producer_->produceSync(std::move(m))->ok);
    }
  }
  // A follower counting its records; records of any other topic reaching it are counted apart.
  std::unique_ptr<TopicFollower> follow(const std::string& topic, std::atomic<int>& seen, std::atomic<int>& foreign) {
    auto f = TopicFollower::start(s_, {topic}, [&seen, &foreign, topic](const Message& m) {
      ++(m.topic() == topic ? seen : foreign);
    }, 15000, hub_);
    EXPECT_TRUE(f) << f.error().message;
    return f ? std::move(*f) : nullptr;
  }

  KafkaSettings s_;
  std::unique_ptr<Producer> producer_;
  std::shared_ptr<FollowerHub> hub_;
};

TEST_F(FollowerHubTest, FollowersAddedLaterReadFromTheBeginningWithoutReplayingTheOthers) {
  Topics topics(s_);
  produce(topics.workflows, 10);
  produce(topics.endpoints, 7);
  std::atomic<int> workflows{0}, endpoints{0}, foreign{0};
  auto a = follow(topics.workflows, workflows, foreign);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->waitCaughtUp(30000));
  EXPECT_EQ(workflows.load(), 10);
  auto b = follow(topics.endpoints, endpoints, foreign);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->waitCaughtUp(30000));
  EXPECT_EQ(endpoints.load(), 7);
  // Re-assigning the hub's consumer wholesale would have started the workflows over.
  produce(topics.workflows, 1);
  produce(topics.endpoints, 1);
  EXPECT_TRUE(waitFor([&] { return workflows.load() == 11 && endpoints.load() == 8; }, 30s))
      << workflows.load() << " workflows, " << endpoints.load() << " endpoints";
  EXPECT_EQ(foreign.load(), 0);
  b->stop();
  a->stop();  // before the counters go
}

TEST_F(FollowerHubTest, AStoppedFollowerIsNeverCalledAgainAndItsTopicCanBeFollowedAnew) {
  Topics topics(s_);
  produce(topics.workflows, 5);
  std::atomic<int> first{0}, second{0}, others{0}, foreign{0};
  auto a = follow(topics.workflows, first, foreign);
  auto other = follow(topics.endpoints, others, foreign);
  ASSERT_TRUE(a && other);
  ASSERT_TRUE(a->waitCaughtUp(30000));
  a->stop();
  EXPECT_EQ(first.load(), 5);
  produce(topics.workflows, 3);
  produce(topics.endpoints, 2);
  // A new follower of the same topic reads all of it; once it has, the stopped one would have
  // seen the new records too if the hub still called it. The other follower went on throughout.
  auto c = follow(topics.workflows, second, foreign);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->waitCaughtUp(30000));
  EXPECT_TRUE(waitFor([&] { return second.load() == 8 && others.load() == 2; }, 30s))
      << second.load() << " workflows, " << others.load() << " endpoints";
  EXPECT_EQ(first.load(), 5);
  EXPECT_EQ(foreign.load(), 0);
  c->stop();
  other->stop();
}

TEST_F(FollowerHubTest, ATopicIsFollowedOncePerHub) {
  Topics topics(s_);
  std::atomic<int> seen{0}, foreign{0};
  auto a = follow(topics.workflows, seen, foreign);
  ASSERT_TRUE(a);
  auto twice = TopicFollower::start(s_, {topics.endpoints, topics.workflows}, [](const Message&) {}, 15000, hub_);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find(topics.workflows), std::string::npos) << twice.error().message;
  // The refusal took nothing from the first follower, nor left the other topic half-followed.
  produce(topics.workflows, 2);
  EXPECT_TRUE(waitFor([&] { return seen.load() == 2; }, 30s)) << seen.load();
  std::atomic<int> endpoints{0};
  auto b = follow(topics.endpoints, endpoints, foreign);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->waitCaughtUp(30000));
  b->stop();
  a->stop();
}

TEST_F(FollowerHubTest, SyncOnOneFollowerWaitsForItsOwnTopicsOnly) {
  Topics topics(s_);
  std::atomic<int> workflows{0}, endpoints{0}, foreign{0};
  auto a = follow(topics.workflows, workflows, foreign);
  auto b = follow(topics.endpoints, endpoints, foreign);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->waitCaughtUp(30000) && b->waitCaughtUp(30000));
  for (int i = 1; i <= 5; ++i) {
    produce(topics.workflows, 1);
    auto at_callback = std::make_shared<std::atomic<int>>(-1);  // shared: outlives a failed wait
    a->syncThen([&workflows, at_callback] { *at_callback = workflows.load(); });
    ASSERT_TRUE(waitFor([&] { return at_callback->load() >= 0; }, 30s)) << "sync " << i << " never called back";
    EXPECT_EQ(at_callback->load(), i);
  }
  b->stop();
  a->stop();
}

}  // namespace
