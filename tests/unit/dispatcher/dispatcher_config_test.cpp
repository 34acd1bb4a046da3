// The dispatcher's consumer groups follow the topic prefix; the default prefix keeps today's names.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "batchrun/dispatcher/config.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

namespace {

using Vars = std::map<std::string, std::string>;

TEST(DispatcherConfig, ConsumerGroupsFollowTheTopicPrefix) {
  {
    EnvReader env(Vars{});
    Config c;
    loadConfig(env, c);
    ASSERT_TRUE(env.ok()) << env.report();
    EXPECT_EQ(c.group_id, "batchrun-dispatcher");  // the default prefix keeps today's groups
    EXPECT_EQ(c.tracker_group_id, "batchrun-batch-tracker");
  }
  {
    EnvReader env(Vars{{"BATCHRUN_TOPIC_PREFIX", "staging."}});
    Config c;
    loadConfig(env, c);
    ASSERT_TRUE(env.ok()) << env.report();
    EXPECT_EQ(c.group_id, "staging.dispatcher");
    EXPECT_EQ(c.tracker_group_id, "staging.batch-tracker");
  }
  {
    EnvReader env(Vars{{"BATCHRUN_TOPIC_PREFIX", "staging."}, {"BATCHRUN_DISPATCHER_GROUP", "mine"}});
    Config c;
    loadConfig(env, c);
    EXPECT_EQ(c.group_id, "mine");
    EXPECT_EQ(c.tracker_group_id, "staging.batch-tracker");
  }
}

TEST(DispatcherConfig, MaxUnackedOutcomesHasADefaultAndABound) {
  {
    EnvReader env(Vars{});
    Config c;
    loadConfig(env, c);
    ASSERT_TRUE(env.ok()) << env.report();
    EXPECT_EQ(c.max_unacked_outcomes, 64);
  }
  {
    EnvReader env(Vars{{"BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES", "16"}});
    Config c;
    loadConfig(env, c);
    ASSERT_TRUE(env.ok()) << env.report();
    EXPECT_EQ(c.max_unacked_outcomes, 16);
  }
  {
    EnvReader env(Vars{{"BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES", "0"}});
    Config c;
    loadConfig(env, c);
    EXPECT_FALSE(env.ok());
    EXPECT_NE(env.report().find("BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES"), std::string::npos) << env.report();
  }
}

}  // namespace
