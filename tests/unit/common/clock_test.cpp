#include <gtest/gtest.h>

#include "batchrun/common/clock.hpp"

using namespace batchrun;

TEST(Clock, FormatsAndParsesRfc3339) {
  EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339(1614265330123), "2021-02-25T15:02:10.123Z");
  EXPECT_EQ(parseRfc3339("2021-02-25T15:02:10.123Z"), 1614265330123);
  EXPECT_EQ(parseRfc3339("2021-02-25T16:02:10+01:00"), 1614265330000);
  EXPECT_EQ(parseRfc3339("2021-02-25T15:02:10Z"), 1614265330000);
  EXPECT_FALSE(parseRfc3339("2021-02-25 15:02"));
  EXPECT_FALSE(parseRfc3339("yesterday"));
  EXPECT_FALSE(parseRfc3339("2021-13-25T15:02:10Z"));
}

TEST(Clock, ManualClockAdvances) {
  ManualClock c(1000);
  c.advance(500);
  EXPECT_EQ(c.nowMs(), 1500);
}
