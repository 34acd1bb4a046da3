// The continuous-failure clock the Deliverer disables endpoints by, and how re-enabling an endpoint
// restarts it.
#include <gtest/gtest.h>

#include "batchrun/webhook/failure_clock.hpp"

using namespace batchrun::webhook;

TEST(FailureClock, RunsFromTheFirstFailureUntilASuccess) {
  FailureClock c;
  EXPECT_EQ(c.since(), 0);
  EXPECT_EQ(c.fail(100), 100);
  EXPECT_EQ(c.fail(200), 100);
  c.succeed();
  EXPECT_EQ(c.since(), 0);
  EXPECT_EQ(c.fail(300), 300);
}

TEST(FailureClock, TheEarliestCarriedFailureCounts) {
  FailureClock c;
  c.carry(0);  // a retry record of an endpoint that had not failed
  EXPECT_EQ(c.since(), 0);
  c.carry(500);
  c.carry(700);
  EXPECT_EQ(c.since(), 500);
  c.carry(400);
  EXPECT_EQ(c.fail(900), 400);
}

TEST(FailureClock, ReEnablingRestartsItAndIgnoresFailuresFromBefore) {
  FailureClock c;
  EXPECT_FALSE(c.observeEnabledAt(0));  // never re-enabled
  EXPECT_EQ(c.fail(1000), 1000);
  EXPECT_TRUE(c.observeEnabledAt(5000));
  EXPECT_EQ(c.since(), 0);
  EXPECT_FALSE(c.observeEnabledAt(5000));  // the same enablement seen again changes nothing
  // A retry record written before the endpoint was re-enabled carries the old clock: ignored.
  c.carry(1000);
  EXPECT_EQ(c.since(), 0);
  EXPECT_EQ(c.fail(6000), 6000);
  c.carry(5500);  // one written after: counts
  EXPECT_EQ(c.since(), 5500);
  // An older record of the endpoint seen late does not bring the old clock back.
  EXPECT_FALSE(c.observeEnabledAt(0));
  EXPECT_EQ(c.since(), 5500);
}

TEST(FailureClock, NeverStartsBeforeTheEnablementEvenWithASlowClock) {
  FailureClock c;
  c.observeEnabledAt(10'000);  // the enabling ingest's clock is ahead of this sender's
  EXPECT_EQ(c.fail(9'000), 10'000);
  c.succeed();
  c.carry(10'000);  // what this sender's retry records then carry counts as current
  EXPECT_EQ(c.since(), 10'000);
}
