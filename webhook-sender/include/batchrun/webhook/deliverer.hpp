#pragma once
// The delivery engine: one gate per endpoint (in-flight cap, rate limit, pause after 429/5xx or
// Retry-After, continuous-failure clock) in front of the shared async HttpClient. A submitted
// delivery is attempted (signed per Standard Webhooks), and its fate made durable: delivered (2xx),
// rescheduled (a retry record acknowledged by webhooks.retry), dead-lettered (a record
// acknowledged by webhooks.dlq) or dropped (the endpoint was deleted). Only then does `settled`
// run, once — the caller commits its offset on it. First attempts never wait behind a busy or
// paused endpoint: they are deferred to webhooks.retry instead, so the events consumer keeps moving.
//
// Thread-safety: submit() from any thread; `settled` runs on the HTTP client's or the producer's
// thread and must not block. stop() abandons queued work without settling it (at-least-once:
// the caller's uncommitted offsets bring it back after a restart).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/webhook_endpoint_view.hpp"
#include "batchrun/common/records/webhook_records.hpp"
#include "batchrun/webhook/config.hpp"
#include "batchrun/webhook/failure_clock.hpp"
#include "batchrun/webhook/retry_schedule.hpp"
#include "batchrun/webhook/sender_metrics.hpp"

namespace batchrun::webhook {

enum class Outcome { kDelivered, kRescheduled, kDeadLettered, kDropped };
const char* toString(Outcome o);

class Deliverer final : public DeliveryHandler {
 public:
  enum class Origin { kEvent, kRetry };
  using Settled = std::function<void(Outcome)>;

  Deliverer(const DeliveryConfig& config, const Topics& topics, EndpointView& view, Producer& producer,
            HttpClient& http, SenderMetrics& metrics, Clock& clock);
  ~Deliverer() override;

  void submit(WebhookDelivery d, Origin origin, Settled settled);
  // Writes a record to Kafka, trying again every second until it is acknowledged (or stop()).
  void produceDurably(OutMessage msg, std::function<void()> on_acked);
  void stop();
  size_t queued() const;

  void onDelivery(const DeliveryReport& report, void* tag) override;

 private:
  struct Job {
    WebhookDelivery d;
    Origin origin;
    Settled settled;
  };
  using JobPtr = std::shared_ptr<Job>;
  struct Gate {
    std::deque<JobPtr> queue;
    int in_flight = 0;
    int64_t paused_until = 0;
    int slowdowns = 0;          // consecutive 429/5xx answers: the pause doubles
    double tokens = 0;
    int64_t tokens_at = 0;
    FailureClock failure;       // restarted when the endpoint is re-enabled
    bool disabled_here = false; // this instance has already disabled it (since it was last enabled)
  };
  struct PendingProduce {
    OutMessage msg;
    std::function<void()> on_acked;
    int64_t retry_at = 0;
  };

  void pumpLoop();
  // Moves what the gate allows from its queue to `out`. Caller holds mu_.
  void release(const std::string& endpoint_id, Gate& gate, int64_t now, std::vector<JobPtr>& out);
  // Brings the gate up to the endpoint's record: a re-enabled endpoint starts with a clean slate.
  // Caller holds mu_.
  void observe(Gate& gate, const EndpointPtr& ep);
  void launch(const JobPtr& job);
  void onResult(const JobPtr& job, HttpResult&& result);
  void reschedule(const JobPtr& job, int64_t due_at, Outcome outcome_if_acked);
  void deadLetter(const JobPtr& job, const std::string& reason);
  void disable(const WebhookEndpoint& e, const std::string& reason);
  void produceNow(std::unique_ptr<PendingProduce> p);
  void wake();

  DeliveryConfig config_;
  RetrySchedule schedule_;
  const Topics& topics_;
  EndpointView& view_;
  Producer& producer_;
  HttpClient& http_;
  SenderMetrics& metrics_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Gate> gates_;
  std::set<std::string> waiting_;  // endpoints with a non-empty queue
  std::vector<std::unique_ptr<PendingProduce>> reproduce_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread pump_;  // last: its loop uses everything above
};

}  // namespace batchrun::webhook
