// Pure policies: retry backoff, outcome classification, offset tracking with out-of-order
// completion, batch counting, and the worker request (headers, signature).
#include <gtest/gtest.h>

#include "batchrun/common/crypto.hpp"
#include "batchrun/dispatcher/batches/batch_counter.hpp"
#include "batchrun/dispatcher/state/offset_tracker.hpp"
#include "batchrun/dispatcher/worker/outcome.hpp"
#include "batchrun/dispatcher/worker/retry_policy.hpp"
#include "batchrun/dispatcher/worker/worker_request.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

namespace {

TEST(RetryPolicy, DoublesFromBaseUpToTheCapWithJitterBounds) {
  RetryPolicy p{1000, 8000, 0.2};
  EXPECT_EQ(p.delayMs(1, 0.5), 1000);
  EXPECT_EQ(p.delayMs(2, 0.5), 2000);
  EXPECT_EQ(p.delayMs(3, 0.5), 4000);
  EXPECT_EQ(p.delayMs(4, 0.5), 8000);
  EXPECT_EQ(p.delayMs(30, 0.5), 8000);
  EXPECT_EQ(p.delayMs(1, 0.0), 800);
  EXPECT_EQ(p.delayMs(1, 1.0), 1200);
}

HttpResult answer(long status, std::string body = {}) {
  HttpResult r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(Outcome, ClassifiesAsDesignSays) {
  auto ok = classify(answer(200, R"({"a": 1})"));
  EXPECT_EQ(ok.kind, Outcome::Kind::kCompleted);
  EXPECT_EQ(ok.output, R"({"a":1})");
  EXPECT_EQ(classify(answer(200, "plain text")).output, R"("plain text")");
  EXPECT_EQ(classify(answer(204)).output, "null");
  EXPECT_EQ(classify(answer(202)).kind, Outcome::Kind::kAccepted);
  for (long s : {400, 401, 403, 404, 409, 422}) EXPECT_EQ(classify(answer(s)).kind, Outcome::Kind::kFailed) << s;
  for (long s : {408, 429, 500, 502, 503, 504}) EXPECT_EQ(classify(answer(s)).kind, Outcome::Kind::kRetry) << s;
  EXPECT_EQ(classify(answer(503)).error_code, "http_503");
  HttpResult refused;
  refused.error = "Couldn't connect to server";
  EXPECT_EQ(classify(refused).kind, Outcome::Kind::kRetry);
  EXPECT_EQ(classify(refused).error_code, "connection_error");
  HttpResult slow;
  slow.timed_out = true;
  EXPECT_TRUE(classify(slow).timed_out);
  EXPECT_EQ(classify(slow).error_code, "timeout");
  HttpResult blocked;
  blocked.blocked = true;
  EXPECT_EQ(classify(blocked).kind, Outcome::Kind::kFailed);
  EXPECT_EQ(classify(blocked).error_code, "destination_not_allowed");
}

TEST(OffsetTracker, CommitsOnlyTheFinishedPrefix) {
  OffsetTracker t;
  for (int64_t o = 10; o < 15; ++o) t.add(o);
  t.done(12);
  t.done(13);
  EXPECT_EQ(t.advance(), std::optional<int64_t>(10));  // 10 still pending: commit point stays at 10
  EXPECT_FALSE(t.advance());
  t.done(10);
  EXPECT_EQ(t.advance(), std::optional<int64_t>(11));
  t.done(11);
  t.done(14);
  EXPECT_EQ(t.advance(), std::optional<int64_t>(15));
  t.add(14);  // a re-delivery below the committed point is ignored
  EXPECT_EQ(t.committable(), 15);
}

BatchProgress progress(const std::string& batch, const std::string& run, const std::string& status, int size) {
  BatchProgress p;
  p.batch_id = batch;
  p.project = "p";
  p.run_id = run;
  p.status = status;
  p.batch_size = size;
  return p;
}

TEST(BatchCounter, AnnouncesOnceWhenEveryDistinctRunIsTerminal) {
  BatchCounter c;
  c.apply(progress("b", "r1", "completed", 3));
  c.apply(progress("b", "r2", "failed", 3));
  c.apply(progress("b", "r2", "completed", 3));  // duplicate run: counted once, first status wins
  EXPECT_TRUE(c.takeCompleted(0).empty());
  c.apply(progress("b", "r3", "completed", 3));
  auto done = c.takeCompleted(0);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].total, 3);
  EXPECT_EQ(done[0].counts["completed"], 2);
  EXPECT_EQ(done[0].counts["failed"], 1);
  EXPECT_TRUE(c.takeCompleted(0).empty());
}

TEST(BatchCounter, DoneMarkerRetiresABatchDuringReplay) {
  BatchCounter c;
  c.apply(progress("b", "r1", "completed", 1));
  BatchProgress marker;
  marker.batch_id = "b";
  marker.done = true;
  c.apply(marker);  // replay: the previous owner already announced it
  EXPECT_TRUE(c.takeCompleted(0).empty());
  c.apply(progress("b", "r1", "completed", 1));
  EXPECT_TRUE(c.takeCompleted(0).empty());
}

TEST(BatchCounter, ForgetsBatchesWithNoRecordForTheTopicsRetention) {
  BatchCounter c(1000);
  c.takeCompleted(0);
  c.apply(progress("idle", "r1", "completed", 2));  // its second run never ends
  c.apply(progress("busy", "r1", "completed", 3));
  BatchProgress marker;
  marker.batch_id = "done";
  marker.done = true;
  c.apply(marker);
  c.takeCompleted(500);  // first rotation: everything stays
  EXPECT_EQ(c.open(), 2u);
  c.apply(progress("busy", "r2", "completed", 3));
  c.apply(progress("done", "r9", "completed", 1));  // a late duplicate: still retired
  EXPECT_EQ(c.open(), 2u);
  EXPECT_TRUE(c.takeCompleted(1000).empty());  // second: "idle" is 1,000 ms quiet, still counted
  EXPECT_EQ(c.open(), 2u);
  c.apply(progress("busy", "r3", "completed", 3));
  auto done = c.takeCompleted(1100);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].batch_id, "busy");
  c.takeCompleted(1500);  // third: "idle" had no record for two whole rotation periods
  EXPECT_EQ(c.open(), 1u) << "only the announced 'busy' is left, awaiting its done marker";
  c.apply(progress("idle", "r2", "completed", 2));  // after it was forgotten: a new count, 1 of 2
  EXPECT_TRUE(c.takeCompleted(1600).empty());
}

TEST(BatchProgressCodec, RoundTrips) {
  auto p = progress("b1", "r1", "timed_out", 7);
  p.created_at = 123;
  auto back = decodeBatchProgress(encodeBatchProgress(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->run_id, "r1");
  EXPECT_EQ(back->status, "timed_out");
  EXPECT_EQ(back->batch_size, 7);
  EXPECT_EQ(back->created_at, 123);
  EXPECT_FALSE(decodeBatchProgress("{}"));
}

std::string headerOf(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(WorkerRequest, CarriesRunHeadersAndAVerifiableSignature) {
  batchrun::Run run;
  run.run_id = "r-1";
  run.batch_id = "b-1";
  run.attempt = 2;
  run.input = R"({"x":1})";
  run.concurrency_key = "tenant";
  run.headers = R"({"x-extra":"yes","batchrun-run-id":"spoof"})";
  auto req = buildWorkerRequest(run, {"http://w/run", "s3cret", 1'700'000'060'000, 5000}, 1'700'000'000'000);
  EXPECT_EQ(req.url, "http://w/run");
  EXPECT_EQ(req.body, run.input);
  EXPECT_EQ(req.timeout_ms, 5000);
  EXPECT_EQ(headerOf(req, "batchrun-run-id"), "r-1");
  EXPECT_EQ(headerOf(req, "batchrun-batch-id"), "b-1");
  EXPECT_EQ(headerOf(req, "batchrun-attempt"), "2");
  EXPECT_EQ(headerOf(req, "batchrun-deadline"), "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(headerOf(req, "batchrun-concurrency-key"), "tenant");
  EXPECT_EQ(headerOf(req, "x-extra"), "yes");
  int run_id_headers = 0;
  for (const auto& [k, v] : req.headers) run_id_headers += k == "batchrun-run-id";
  EXPECT_EQ(run_id_headers, 1);  // a run's own headers cannot override batchrun-*
  EXPECT_EQ(headerOf(req, "traceparent").size(), 55u);
  EXPECT_EQ(headerOf(req, "batchrun-timestamp"), "1700000000");
  std::string expected = "v1," + base64Encode(hmacSha256("s3cret", "r-1.1700000000." + run.input));
  EXPECT_EQ(headerOf(req, "batchrun-signature"), expected);
  auto unsigned_req = buildWorkerRequest(run, {"http://w/run", "", 0, 5000}, 0);
  EXPECT_EQ(headerOf(unsigned_req, "batchrun-signature"), "<absent>");
}

}  // namespace
