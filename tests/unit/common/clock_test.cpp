#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <limits>

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

// The hand-written formatter against the C library's gmtime_r + strftime, over times spread from
// 1970 to 2400 (leap years, century rules) and the negative range, each to the millisecond.
TEST(Clock, FormatsLikeTheCLibrary) {
  auto reference = [](int64_t ms) {
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[80];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms - secs * 1000));
    return std::string(out);
  };
  uint64_t x = 88172645463325252ULL;  // xorshift: deterministic, spread over the whole range
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const int64_t ms = static_cast<int64_t>(x % 13569465600000ULL) - 1000000000000LL;  // 1938 .. 2400
    ASSERT_EQ(formatRfc3339(ms), reference(ms)) << ms;
    if (ms >= 0) {
      ASSERT_EQ(parseRfc3339(formatRfc3339(ms)), ms) << ms;
    }
  }
  EXPECT_EQ(formatRfc3339(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

// Found by tests/fuzz (fuzz_events): a batch's created_at near INT64_MIN (any int64 a record holds)
// overflowed inside std::chrono. Times past ±8.64e15 ms are written as that limit.
TEST(Clock, ExtremeTimesAreWrittenWithoutOverflow) {
  EXPECT_EQ(formatRfc3339(std::numeric_limits<int64_t>::min()), formatRfc3339(-8'640'000'000'000'000));
  EXPECT_EQ(formatRfc3339(std::numeric_limits<int64_t>::max()), formatRfc3339(8'640'000'000'000'000));
  EXPECT_FALSE(formatRfc3339(std::numeric_limits<int64_t>::min()).empty());
}
