#pragma once
// The ingest service: owns the Kafka producer, the HTTP endpoint and its routes. start() creates
// topics (if configured), connects, and serves; stop() stops taking writes, lets in-flight
// requests answer, closes the endpoint, then flushes. Route groups are registered by one
// add<Group>Routes(router, deps) call each in start().
#include <pistache/router.h>

#include <array>
#include <atomic>
#include <memory>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/metrics.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/config/ingest_config.hpp"
#include "batchrun/ingest/write/idempotency_store.hpp"
#include "batchrun/ingest/http/edge_server.hpp"
#include "batchrun/ingest/http/ingest_metrics.hpp"
#include "batchrun/ingest/kafka/kafka_health.hpp"
#include "batchrun/ingest/read/read_side.hpp"
#include "batchrun/ingest/kafka/submission.hpp"
#include "batchrun/ingest/kafka/view_follower.hpp"
#include "batchrun/ingest/admin/webhook_endpoint_routes.hpp"
#include "batchrun/ingest/admin/workflow_routes.hpp"
#include "batchrun/ingest/admin/workflow_view.hpp"
#include "batchrun/ingest/write/write_routes.hpp"

namespace batchrun::ingest {

class App {
 public:
  explicit App(IngestConfig config);
  ~App();
  Status start();
  void stop();
  uint16_t port() const;
  // The HTTP edge (connections, limits in force); null before start() and after stop().
  const EdgeServer* edge() const { return server_.get(); }
  MetricsRegistry& metrics() { return metrics_; }
  // The run view: call readSide().view().noteAccepted(run) after a run's produce is acknowledged.
  ReadSide& readSide() { return read_; }

 private:
  std::string readiness() const;
  void startWriteSide();
  Status startEdge();  // the HTTP listener, its limits and timeouts (edge_server.hpp)

  IngestConfig config_;
  MetricsRegistry metrics_;
  Topics topics_;
  IngestMetrics ingest_metrics_;
  std::unique_ptr<Producer> producer_;
  // Writes the runs.index records without linger: a request's answer waits for its record, which
  // would otherwise sit out linger.ms alone in its batch after the lane records had waited theirs.
  std::unique_ptr<Producer> index_producer_;
  // Records no view can take (kafka/poison.hpp); copies through producer_, outlives the followers.
  std::unique_ptr<PoisonRecords> poison_;
  std::unique_ptr<KafkaHealth> health_;
  // Write side (write_routes.hpp, workflow_routes.hpp): the views it consults and what it tracks.
  WorkflowView workflows_;
  IdempotencyStore idempotency_;
  SubmissionTracker submissions_;
  std::atomic<bool> draining_{false};
  // One consumer for every topic ingest follows (follower_hub.hpp): one fetch instead of five.
  std::shared_ptr<FollowerHub> follower_hub_;
  std::unique_ptr<ViewFollower> workflow_follower_;     // feeds workflows_
  std::unique_ptr<ViewFollower> idempotency_follower_;  // feeds idempotency_
  std::unique_ptr<WriteDeps> write_deps_;
  std::unique_ptr<WorkflowDeps> workflow_deps_;
  ReadSide read_;  // run view, batch events, SSE streams (read_side.hpp)
  std::unique_ptr<CompatDeps> compat_deps_;  // Polos, Extend, Upstash dialects (dialects/dialect_routes.hpp)
  std::unique_ptr<WebhookEndpointRoutes> webhook_endpoints_;  // subscription API + endpoint view
  Pistache::Rest::Router router_;
  // batchrun_ingest_connections_closed_total{reason}: what the edge answered or closed by itself.
  std::array<Counter*, 5> edge_closed_{};
  std::unique_ptr<EdgeServer> server_;  // last: its handlers use the members above
};

}  // namespace batchrun::ingest
