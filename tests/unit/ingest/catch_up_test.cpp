// CatchUp: a waiting request is answered exactly once — when its view reports, or at the deadline,
// or when CatchUp stops — and a view that reports after the deadline changes nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

#include "batchrun/ingest/read/catch_up.hpp"
#include "../../support/wait.hpp"

using namespace batchrun::ingest;
using namespace std::chrono_literals;

namespace {

// A view whose sync requests the test answers by hand.
struct HeldSync {
  std::mutex mu;
  std::vector<std::function<void()>> pending;
  CatchUp::Sync sync() {
    return [this](std::function<void()> done) {
      std::lock_guard lock(mu);
      pending.push_back(std::move(done));
    };
  }
  void reportAll() {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard lock(mu);
      now.swap(pending);
    }
    for (auto& d : now) d();
  }
};

TEST(CatchUp, AnswersOnceTheViewReportsAndNotAgainAtTheDeadline) {
  CatchUp c(200);
  HeldSync view;
  std::atomic<int> calls{0}, synced{0};
  c.after(view.sync(), [&](bool s) { ++calls; synced += s; });
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(c.waiting(), 1u);
  view.reportAll();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(synced.load(), 1);
  EXPECT_EQ(c.waiting(), 0u);  // no deadline left to fire
}

TEST(CatchUp, AViewThatDoesNotReportInTimeGetsTheDeadlineAnswerOnce) {
  CatchUp c(20);
  HeldSync view;
  std::atomic<int> calls{0}, synced{0};
  c.after(view.sync(), [&](bool s) { ++calls; synced += s; });
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return calls.load() == 1; }, 5s));
  EXPECT_EQ(synced.load(), 0);
  view.reportAll();  // late: ignored
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(synced.load(), 0);
}

TEST(CatchUp, AViewThatReportsAtOnceAnswersInline) {
  CatchUp c(1000);
  int calls = 0;
  c.after([](std::function<void()> done) { done(); }, [&](bool s) { calls += s ? 1 : 100; });
  EXPECT_EQ(calls, 1);
}

TEST(CatchUp, StopAnswersEveryWaiterAndLaterRequestsAtOnce) {
  CatchUp c(60'000);
  HeldSync view;
  std::atomic<int> behind{0};
  for (int i = 0; i < 3; ++i) c.after(view.sync(), [&](bool s) { behind += !s; });
  c.stop();
  EXPECT_EQ(behind.load(), 3);
  c.after(view.sync(), [&](bool s) { behind += !s; });
  EXPECT_EQ(behind.load(), 4);
  view.reportAll();  // after stop: nothing more
  EXPECT_EQ(behind.load(), 4);
}

TEST(CatchUp, ManyWaitersWithDifferentOutcomesAreEachAnsweredOnce) {
  CatchUp c(30);
  HeldSync slow, fast;
  std::atomic<int> synced{0}, behind{0};
  for (int i = 0; i < 200; ++i) {
    c.after(i % 2 ? fast.sync() : slow.sync(), [&](bool s) { (s ? synced : behind)++; });
  }
  fast.reportAll();
  ASSERT_TRUE(batchrun::testing::waitFor([&] { return synced.load() + behind.load() == 200; }, 5s));
  slow.reportAll();
  EXPECT_EQ(synced.load(), 100);
  EXPECT_EQ(behind.load(), 100);
}

}  // namespace
