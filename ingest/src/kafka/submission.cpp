#include "batchrun/ingest/kafka/submission.hpp"

#include <chrono>
#include <memory>

#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Submission::Submission(Producer& producer, SubmissionTracker& tracker, Pistache::Http::ResponseWriter writer,
                       size_t records, SubmissionSpec spec)
    : producer_(producer),
      tracker_(tracker),
      writer_(std::move(writer)),
      spec_(std::move(spec)),
      pending_(static_cast<int>(records) + 1) {}  // +1: held by start() until every produce() was tried

void Submission::start(Producer& producer, SubmissionTracker& tracker, Pistache::Http::ResponseWriter writer,
                       std::vector<OutMessage> messages, SubmissionSpec spec) {
  tracker.enter();
  auto* self = new Submission(producer, tracker, std::move(writer), messages.size(), std::move(spec));
  const int n = static_cast<int>(messages.size());
  for (int i = 0; i < n; ++i) {
    // The tag is the record's index: its report hands it to on_delivered.
    Status st = producer.produce(std::move(messages[static_cast<size_t>(i)]), self,
                                 reinterpret_cast<void*>(static_cast<intptr_t>(i)));
    if (!st) {
      self->fail(st.error().message, st.error().code == ErrorCode::kResourceExhausted, st.error().retryable);
      self->release(n - i);  // the records never handed to librdkafka will never report
      break;
    }
  }
  self->release(1);
}

void Submission::onDelivery(const DeliveryReport& report, void* tag) {
  if (report.ok) {
    const auto index = static_cast<size_t>(reinterpret_cast<intptr_t>(tag));
    if (spec_.on_delivered && !last_sent_.load()) {
      spec_.on_delivered(index, report.partition, report.offset);
    }
  } else {
    fail(report.error, false, report.retryable);
  }
  release(1);
}

void Submission::fail(const std::string& why, bool queue_full, bool retryable) {
  bool expected = false;
  if (failed_.compare_exchange_strong(expected, true)) {
    error_ = why;
    queue_full_ = queue_full;
    retryable_ = retryable;
  }
}

void Submission::release(int count) {
  // acq_rel: the thread that reaches zero sees every report's writes to error_.
  if (pending_.fetch_sub(count, std::memory_order_acq_rel) == count) finish();
}

bool Submission::produceLast(bool ok) {
  if (!spec_.last_record || last_sent_.load()) return false;
  std::optional<OutMessage> last;
  try {
    last = spec_.last_record(ok);
  } catch (const std::exception& e) {
    log::error("submission hook threw", {{"error", e.what()}});
  }
  last_sent_.store(true);
  if (!last) return false;
  Producer& producer = spec_.last_producer ? *spec_.last_producer : producer_;
  if (!ok) {
    // The request fails anyway; what was acknowledged still gets its index, on a best-effort basis.
    (void)producer.produce(std::move(*last), nullptr, nullptr);
    return false;
  }
  pending_.store(1);
  Status st = producer.produce(std::move(*last), this, nullptr);
  if (st) return true;
  fail(st.error().message, st.error().code == ErrorCode::kResourceExhausted, st.error().retryable);
  return false;
}

void Submission::finish() {
  if (produceLast(!failed_.load())) return;  // its report finishes the request
  std::unique_ptr<Submission> self(this);
  const bool ok = !failed_.load();
  try {
    if (spec_.on_done) spec_.on_done({ok, queue_full_, retryable_, error_});
  } catch (const std::exception& e) {
    log::error("submission hook threw", {{"error", e.what()}});
  }
  try {
    if (!tracker_.open()) {
      // The endpoint is gone: writing through its transport would be a use after free.
    } else if (!writer_.getPeer()) {
      // The client disconnected; its retry with the same Idempotency-Key gets the answer.
      if (spec_.abandoned) spec_.abandoned->inc();
    } else if (ok) {
      replyJson(writer_, spec_.success_code, spec_.success_body);
    } else {
      const ErrorReplier& reply = spec_.reply_error ? spec_.reply_error : ErrorReplier(replyError);
      if (queue_full_) {
        reply(writer_, Pistache::Http::Code::Too_Many_Requests, "backpressure",
              "Kafka's producer queue is full; retry with the same Idempotency-Key to get the same ids "
              "without duplicates",
              {}, spec_.retry_after_s);
      } else {
        reply(writer_, Pistache::Http::Code::Service_Unavailable, "unavailable",
              "Kafka did not acknowledge every item (" + error_ +
                  "); retry with the same Idempotency-Key to get the same ids without duplicates",
              {}, spec_.retry_after_s);
      }
    }
  } catch (const std::exception& e) {
    log::warn("could not send an answer", {{"error", e.what()}});
  }
  if (spec_.latency) spec_.latency->observe(static_cast<double>(steadyNowNs() - spec_.started_ns) / 1e9);
  tracker_.leave();
}

}  // namespace batchrun::ingest
