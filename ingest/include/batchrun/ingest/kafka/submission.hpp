#pragma once
// One write request in flight: produces its records and answers the client once Kafka has reported
// on every one of them — the success answer only if all were acknowledged, else 429 (local queue
// full) or 503 (delivery failed) with Retry-After. A request may add one record that can only be
// written after the others were acknowledged (`last_record`: the run index, which names where they
// sit); the answer then waits for it too.
//
// Hot path: one heap object per request; one atomic counter of outstanding reports (no lock, no
// allocation per item here). The Pistache ResponseWriter is moved in, and the answer is sent from
// whichever thread brings the counter to zero — usually the producer's delivery-report thread.
// Pistache 0.0.5 queues cross-thread writes to the connection's own reactor thread; what it does
// not guard is a connection that is already gone, so answer() checks the peer first (and the
// SubmissionTracker keeps answers from reaching an endpoint that was shut down).
#include <pistache/http.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

// Writes an error answer in one API dialect's shape: (writer, HTTP code, error code, message,
// field details, Retry-After seconds or 0). The native /v1 envelope is replyError.
using ErrorReplier = std::function<void(Pistache::Http::ResponseWriter&, Pistache::Http::Code, std::string_view code,
                                        std::string_view message, const std::vector<FieldError>& details,
                                        int retry_after_s)>;

// Counts live submissions so App::stop() can let them answer before the endpoint goes away.
class SubmissionTracker {
 public:
  void enter() { live_.fetch_add(1); }
  void leave() { live_.fetch_sub(1); }
  int live() const { return live_.load(); }
  // Once closed, late answers are dropped instead of touching a destroyed endpoint.
  void close() { open_.store(false); }
  bool open() const { return open_.load(); }

 private:
  std::atomic<int> live_{0};
  std::atomic<bool> open_{true};
};

struct SubmissionOutcome {
  bool ok = false;
  bool queue_full = false;                 // refused locally before being sent
  bool retryable = false;                  // the first failure was transient (timeout, transport)
  std::string error;                       // first failure, when !ok
};

struct SubmissionSpec {
  Pistache::Http::Code success_code = Pistache::Http::Code::Accepted;
  std::string success_body;
  int retry_after_s = 1;
  Histogram* latency = nullptr;            // observed when the answer is sent
  Counter* abandoned = nullptr;            // client gone before the answer
  int64_t started_ns = 0;                  // steady clock of the request's arrival
  // Runs on the answering thread just before the answer is sent (idempotency bookkeeping, metrics).
  // Must not throw or block.
  std::function<void(const SubmissionOutcome&)> on_done;
  // Runs on the delivery thread for each record Kafka acknowledged (index into the messages, its
  // partition and offset). Must be quick, must not throw.
  std::function<void(size_t index, int32_t partition, int64_t offset)> on_delivered;
  // Runs once Kafka has reported on every message (true: all acknowledged), before on_done: the
  // record to write after them, if any. When all were acknowledged, the answer waits for this one
  // too (a failure is a 503); otherwise it is written without waiting. Must not block.
  std::function<std::optional<OutMessage>(bool all_acknowledged)> last_record;
  Producer* last_producer = nullptr;       // writes last_record; null: the request's producer
  // The 429/503 answers in the caller's dialect; empty: the native envelope.
  ErrorReplier reply_error;
};

class Submission final : public DeliveryHandler {
 public:
  // Produces every message (in order) and arranges the answer. Never throws.
  static void start(Producer& producer, SubmissionTracker& tracker, Pistache::Http::ResponseWriter writer,
                    std::vector<OutMessage> messages, SubmissionSpec spec);

  void onDelivery(const DeliveryReport& report, void* tag) override;

 private:
  Submission(Producer& producer, SubmissionTracker& tracker, Pistache::Http::ResponseWriter writer, size_t records,
             SubmissionSpec spec);
  void fail(const std::string& why, bool queue_full, bool retryable);
  void release(int count);
  // True when the last record went out and its report will finish the request.
  bool produceLast(bool ok);
  void finish();

  Producer& producer_;
  SubmissionTracker& tracker_;
  Pistache::Http::ResponseWriter writer_;
  SubmissionSpec spec_;
  std::atomic<int> pending_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> last_sent_{false};  // the reports now arriving are the last record's
  bool queue_full_ = false;           // written by the first failure only (guarded by failed_)
  bool retryable_ = false;            // likewise
  std::string error_;                 // likewise
};

int64_t steadyNowNs();

}  // namespace batchrun::ingest
