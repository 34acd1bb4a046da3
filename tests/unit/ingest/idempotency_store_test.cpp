// The Idempotency-Key window: record codec, merge rules between local writes and the follower,
// the time window, and claims of in-flight keys.
#include <gtest/gtest.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/ingest/write/idempotency_store.hpp"

using namespace batchrun;
using namespace batchrun::ingest;

namespace {
constexpr int64_t kWindow = 24 * 3600 * 1000LL;

IdempotencyRecord record(const char* fp, int64_t at, bool complete) {
  return {fp, "batch-1", at, 3, complete, {}};
}
}  // namespace

TEST(IdempotencyRecordCodec, RoundTrips) {
  auto r = record("abc", 42, true);
  auto back = decodeIdempotencyRecord(encodeIdempotencyRecord(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->fingerprint, "abc");
  EXPECT_EQ(back->batch_id, "batch-1");
  EXPECT_EQ(back->created_at, 42);
  EXPECT_EQ(back->runs, 3);
  EXPECT_TRUE(back->complete);
  EXPECT_TRUE(back->deduplicated.empty());
  // The items answered with existing runs travel with the record, so a retry repeats that choice.
  r.deduplicated = {0, 7};
  back = decodeIdempotencyRecord(encodeIdempotencyRecord(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->deduplicated, (std::vector<int>{0, 7}));
  EXPECT_FALSE(decodeIdempotencyRecord("{}"));
  EXPECT_FALSE(decodeIdempotencyRecord("nope"));
}

TEST(IdempotencyStore, CompleteIsStickyWhateverOrderTheRecordsArriveIn) {
  ManualClock clock;
  IdempotencyStore store(kWindow, clock);
  const int64_t now = clock.nowMs();
  store.put("p/k", record("fp", now, true));                              // local write after all acks
  store.apply("p/k", encodeIdempotencyRecord(record("fp", now, false)));  // follower reads the first record late
  ASSERT_TRUE(store.find("p/k"));
  EXPECT_TRUE(store.find("p/k")->complete);
}

TEST(IdempotencyStore, AnOlderOtherRequestDoesNotReplaceANewerOne) {
  ManualClock clock;
  IdempotencyStore store(kWindow, clock);
  const int64_t now = clock.nowMs();
  store.put("p/k", record("new", now, false));
  store.apply("p/k", encodeIdempotencyRecord(record("old", now - 1000, true)));
  EXPECT_EQ(store.find("p/k")->fingerprint, "new");
  store.apply("p/k", encodeIdempotencyRecord(record("newer", now + 1000, false)));
  EXPECT_EQ(store.find("p/k")->fingerprint, "newer");
}

TEST(IdempotencyStore, ForgetsKeysOutsideTheWindow) {
  ManualClock clock;
  IdempotencyStore store(kWindow, clock);
  store.put("p/k", record("fp", clock.nowMs(), true));
  EXPECT_TRUE(store.find("p/k"));
  clock.advance(kWindow + 1);
  EXPECT_FALSE(store.find("p/k"));
  // Records older than the window are not even loaded.
  store.apply("p/old", encodeIdempotencyRecord(record("fp", clock.nowMs() - kWindow - 5, true)));
  EXPECT_FALSE(store.find("p/old"));
}

TEST(IdempotencyStore, TombstonesAndUndecodableRecords) {
  ManualClock clock;
  IdempotencyStore store(kWindow, clock);
  store.apply("p/k", encodeIdempotencyRecord(record("fp", clock.nowMs(), true)));
  store.apply("p/k", "");
  EXPECT_FALSE(store.find("p/k"));
  store.apply("p/bad", "{not json");
  EXPECT_EQ(store.size(), 0u);
}

TEST(IdempotencyStore, OneClaimPerKeyUntilReleased) {
  ManualClock clock;
  IdempotencyStore store(kWindow, clock);
  EXPECT_TRUE(store.claim("p/k"));
  EXPECT_FALSE(store.claim("p/k"));
  EXPECT_TRUE(store.claim("p/other"));
  store.release("p/k");
  EXPECT_TRUE(store.claim("p/k"));
}
