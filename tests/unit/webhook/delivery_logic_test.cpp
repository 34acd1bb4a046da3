#include <gtest/gtest.h>

#include "batchrun/webhook/offset_tracker.hpp"
#include "batchrun/webhook/retry_schedule.hpp"

using namespace batchrun;
using namespace batchrun::webhook;

TEST(RetrySchedule, DesignScheduleWithJitterBounds) {
  RetrySchedule s({0, 5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000, 36'000'000}, 20);
  EXPECT_EQ(s.maxAttempts(), 8);
  EXPECT_EQ(*s.delayBefore(1), 0);
  for (int i = 0; i < 200; ++i) {
    int64_t d = *s.delayBefore(3);
    EXPECT_GE(d, 240'000);
    EXPECT_LE(d, 360'000);
  }
  EXPECT_EQ(s.nominalDelayBefore(8), 36'000'000);
  EXPECT_FALSE(s.delayBefore(9));
  RetrySchedule exact({0, 100}, 0);
  EXPECT_EQ(*exact.delayBefore(2), 100);
}

TEST(RetrySchedule, ClassifiesAnswers) {
  EXPECT_TRUE(isSuccess(200));
  EXPECT_TRUE(isSuccess(204));
  EXPECT_FALSE(isSuccess(301));  // redirects are not followed, so not success either
  EXPECT_FALSE(isSuccess(0));
  EXPECT_TRUE(isSlowDown(429));
  EXPECT_TRUE(isSlowDown(503));
  EXPECT_FALSE(isSlowDown(500));
}

TEST(RetrySchedule, ParsesRetryAfterSecondsAndDates) {
  EXPECT_EQ(*parseRetryAfter("120", 0), 120'000);
  EXPECT_EQ(*parseRetryAfter(" 3 ", 0), 3'000);
  int64_t now = 1445412480000;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(*parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), 30'000);
  EXPECT_EQ(*parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
  EXPECT_FALSE(parseRetryAfter("soon", now));
  EXPECT_FALSE(parseRetryAfter("", now));
  EXPECT_FALSE(parseRetryAfter("-5", now));
}

TEST(OffsetTracker, CommitsOnlyPastContiguouslyDoneRecords) {
  OffsetTracker t;
  TopicPartition tp{"events", 0};
  t.reset(tp);
  t.add(tp, 10, 2);  // two deliveries
  t.add(tp, 11, 1);
  t.add(tp, 12, 0);  // no endpoint wanted it
  EXPECT_EQ(t.pending(), 2);
  EXPECT_FALSE(t.advance(tp));
  EXPECT_FALSE(t.settle(tp, 11));  // 10 still open: nothing may be committed past it
  EXPECT_FALSE(t.settle(tp, 10));
  EXPECT_EQ(t.settle(tp, 10), std::optional<int64_t>(13));
  EXPECT_EQ(t.pending(), 0);
  EXPECT_FALSE(t.settle(tp, 10));  // extra settlements are ignored
  t.add(tp, 13, 1);
  t.drop(tp);
  EXPECT_EQ(t.pending(), 0);
  EXPECT_FALSE(t.settle(tp, 13));
}
