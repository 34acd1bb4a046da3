// The webhook sender's consumer groups follow the topic prefix (the default keeps today's names).
#include <gtest/gtest.h>

#include "batchrun/webhook/config.hpp"

using namespace batchrun;

namespace {

webhook::Config load(std::map<std::string, std::string> vars) {
  EnvReader env(std::move(vars));
  webhook::Config c;
  webhook::loadConfig(env, c);
  EXPECT_TRUE(env.ok()) << env.report();
  return c;
}

TEST(WebhookSenderConfig, ConsumerGroupFollowsTheTopicPrefix) {
  EXPECT_EQ(load({}).group_id, "batchrun-webhook-sender");
  EXPECT_EQ(load({{"BATCHRUN_TOPIC_PREFIX", "staging."}}).group_id, "staging.webhook-sender");
  EXPECT_EQ(load({{"BATCHRUN_TOPIC_PREFIX", "staging."}, {"BATCHRUN_WEBHOOK_GROUP", "g"}}).group_id, "g");
}

TEST(WebhookSenderConfig, MetadataDestinationsNeedTheirOwnSetting) {
  auto c = load({{"BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", "true"}});
  EXPECT_TRUE(c.delivery.allow_private);
  EXPECT_FALSE(c.delivery.allow_metadata);
  EXPECT_TRUE(load({{"BATCHRUN_ALLOW_METADATA_DESTINATIONS", "true"}}).delivery.allow_metadata);
}

}  // namespace
