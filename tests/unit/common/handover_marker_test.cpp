#include <gtest/gtest.h>

#include "batchrun/common/records/handover_marker.hpp"

using namespace batchrun;

TEST(HandoverMarker, GoesToTheGivenStatePartitionUnderOneKeyWithItsKindHeader) {
  OutMessage m = handoverMarker("p.runs.state", 4, 1234, 1700000000000);
  EXPECT_EQ(m.topic, "p.runs.state");
  EXPECT_EQ(m.partition, 4);
  EXPECT_EQ(m.key, kHandoverKey);
  ASSERT_EQ(m.headers.size(), 1u);
  EXPECT_EQ(m.headers[0].first, kRecordKindHeader);
  EXPECT_EQ(m.headers[0].second, kHandoverKind);
  EXPECT_EQ(handoverUpto(m.value), 1234);
}

TEST(HandoverMarker, AValueThatDoesNotSayVouchesForNothing) {
  EXPECT_EQ(handoverUpto(R"({"handover":true,"partition":1})"), -1);
  EXPECT_EQ(handoverUpto(R"({"handover":true,"upto":"12"})"), -1);
  EXPECT_EQ(handoverUpto("not json"), -1);
  EXPECT_EQ(handoverUpto(""), -1);
}
