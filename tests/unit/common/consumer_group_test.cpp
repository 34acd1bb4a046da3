// Consumer group ids follow the topic prefix, and the default prefix keeps today's names.
#include <gtest/gtest.h>

#include "batchrun/common/kafka/settings.hpp"

using namespace batchrun;

namespace {

TEST(ConsumerGroupId, DefaultPrefixKeepsTheNamesDeploymentsCommittedUnder) {
  KafkaSettings s;
  EXPECT_EQ(consumerGroupId(s, "dispatcher"), "batchrun-dispatcher");
  EXPECT_EQ(consumerGroupId(s, "batch-tracker"), "batchrun-batch-tracker");
  EXPECT_EQ(consumerGroupId(s, "webhook-sender"), "batchrun-webhook-sender");
}

TEST(ConsumerGroupId, OtherPrefixesGetTheirOwnGroups) {
  KafkaSettings a, b;
  a.topic_prefix = "staging.";
  b.topic_prefix = "prod-eu.";
  EXPECT_EQ(consumerGroupId(a, "dispatcher"), "staging.dispatcher");
  EXPECT_EQ(consumerGroupId(b, "dispatcher"), "prod-eu.dispatcher");
  EXPECT_NE(consumerGroupId(a, "webhook-sender"), consumerGroupId(KafkaSettings{}, "webhook-sender"));
}

}  // namespace
