#pragma once
// The batchrun-webhook-sender service. Owns, in dependency order: the producer, the endpoint view
// (followed from webhooks.endpoints), the async HTTP client, the Deliverer, the RetryConsumer
// (webhooks.retry) and the EventConsumer (runs.events), and the ops HTTP server. start() creates
// topics (if configured), waits for the endpoint view to catch up (so no event is routed against a
// partial view), then consumes. stop() drains: stop reading, abandon in-flight requests (their
// offsets stay uncommitted, so they are delivered again after a restart), flush the producer,
// store what settled, leave the groups. Each event is routed only after the view synced past it
// (EventConsumer).
#include <memory>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/common/http/ops_http.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/common/webhook_endpoint_view.hpp"
#include "batchrun/webhook/config.hpp"
#include "batchrun/webhook/deliverer.hpp"
#include "batchrun/webhook/event_consumer.hpp"
#include "batchrun/webhook/retry_consumer.hpp"
#include "batchrun/webhook/sender_metrics.hpp"

namespace batchrun::webhook {

class App {
 public:
  explicit App(Config config, Clock& clock = SystemClock::instance());
  ~App();
  Status start();
  void stop();
  uint16_t opsPort() const { return ops_ ? ops_->port() : 0; }
  MetricsRegistry& metrics() { return metrics_; }
  const EndpointView& endpoints() const { return view_; }

 private:
  std::string readiness() const;

  Config config_;
  Clock& clock_;
  Topics topics_;
  MetricsRegistry metrics_;
  SenderMetrics sender_metrics_;
  EndpointView view_;
  std::unique_ptr<TopicFollower> follower_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<Deliverer> deliverer_;  // the producer's delivery handler: outlives it
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<PoisonRecords> poison_;  // copies through producer_ (detached before it goes)
  std::unique_ptr<RetryConsumer> retry_;
  std::unique_ptr<EventConsumer> events_;
  std::unique_ptr<OpsServer> ops_;  // last: its handlers use the members above
  bool stopped_ = false;
};

}  // namespace batchrun::webhook
