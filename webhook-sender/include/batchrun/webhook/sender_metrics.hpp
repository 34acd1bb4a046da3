#pragma once
// The webhook-sender's Prometheus series. Per-endpoint series (deliveries, failures, latency) are
// created for the first `endpoint_labels` endpoints seen; later ones share endpoint="other", so a
// project with thousands of endpoints cannot blow up the metrics. Thread-safe.
#include <map>
#include <mutex>
#include <string>

#include "batchrun/common/metrics.hpp"

namespace batchrun::webhook {

class SenderMetrics {
 public:
  SenderMetrics(MetricsRegistry& registry, int endpoint_labels);

  struct PerEndpoint {
    Counter* delivered;
    Counter* failed;
    Histogram* latency;
  };
  PerEndpoint& endpoint(const std::string& endpoint_id);

  Counter& events;        // runs.events records read and routed
  Counter& deferred;      // first attempts handed to webhooks.retry because the endpoint was busy/paused
  Counter& retries;       // retry records written
  Counter& dead_lettered; // deliveries written to webhooks.dlq
  Counter& disabled;      // endpoints disabled (410 or failing too long)
  Gauge& retry_backlog;   // deliveries waiting in webhooks.retry (this instance's partitions)
  Gauge& in_flight;       // HTTP requests in flight
  Gauge& pending_events;  // events read and not settled
  Gauge& endpoints;       // endpoints known
  Histogram& lag;         // event produced → delivered (successful attempts), seconds
  Histogram& view_sync;   // endpoint-view syncs events waited for (one per batch of events read), seconds
  Gauge& held_batches;    // batch.completed deliveries held (this instance's retry partitions)

 private:
  MetricsRegistry& registry_;
  int endpoint_labels_;
  std::mutex mu_;
  std::map<std::string, PerEndpoint> per_endpoint_;
};

}  // namespace batchrun::webhook
