#pragma once
// The batchrun-dispatcher service: owns its Kafka clients, the outbound HTTP client, the workflow
// registry, the failure-callback sender, the dispatcher core, the batch tracker and the ops HTTP
// server, in dependency order.
// start() creates topics (if configured) and connects; stop() drains in reverse order.
#include <memory>

#include "batchrun/common/http/http_client.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/common/http/ops_http.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/dispatcher/batches/batch_tracker.hpp"
#include "batchrun/dispatcher/config.hpp"
#include "batchrun/dispatcher/dispatcher.hpp"
#include "batchrun/dispatcher/dispatcher_metrics.hpp"
#include "batchrun/dispatcher/worker/failure_callbacks.hpp"
#include "batchrun/dispatcher/scheduling/workflow_registry.hpp"

namespace batchrun::dispatcher {

class App {
 public:
  explicit App(Config config);
  ~App();
  Status start();
  void stop();
  uint16_t opsPort() const { return ops_ ? ops_->port() : 0; }

 private:
  std::string readiness() const;

  Config config_;
  MetricsRegistry metrics_;
  WorkflowRegistry workflows_;
  std::unique_ptr<DispatcherMetrics> dispatcher_metrics_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<PoisonRecords> poison_;  // copies through producer_
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<FailureCallbacks> callbacks_;  // sends through http_
  std::unique_ptr<TopicFollower> follower_;      // its thread writes workflows_
  std::unique_ptr<Dispatcher> dispatcher_;       // uses everything above
  std::unique_ptr<BatchTracker> tracker_;        // uses producer_
  std::unique_ptr<OpsServer> ops_;  // last: its handlers use the members above
};

}  // namespace batchrun::dispatcher
