#pragma once
// Ingest's metric handles, registered once at start so the hot path only touches atomics:
//   batchrun_ingest_runs_accepted_total{lane}        runs acknowledged by Kafka and answered 2xx
//   batchrun_ingest_request_seconds{route}           latency from request to answer
//   batchrun_ingest_rejected_total{reason}           4xx/5xx answers by cause
//   batchrun_ingest_produce_errors_total{kind}       local produce refusals and failed deliveries
//   batchrun_ingest_producer_queue_depth             messages librdkafka holds, not yet acknowledged
//   batchrun_ingest_deduplicated_requests_total      idempotent replays answered without producing
//   batchrun_ingest_deduplicated_runs_total          items answered with the existing run of their own
//                                                    idempotency_key instead of being produced
//   batchrun_ingest_abandoned_answers_total          answers whose client had already gone
#include <string>
#include <vector>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/metrics.hpp"

namespace batchrun::ingest {

enum class RouteId { kBatch, kSingleRun, kWorkflowPut, kWorkflowGet, kWorkflowDelete };
enum class Rejection { kUnauthorized, kUnsupportedMedia, kTooLarge, kInvalid, kConflict, kBackpressure, kUnavailable };

class IngestMetrics {
 public:
  IngestMetrics(MetricsRegistry& registry, const std::vector<Lane>& lanes);

  Counter& accepted(const std::string& lane);  // unknown lanes count under the last lane
  Histogram& latency(RouteId route) { return *latency_[static_cast<size_t>(route)]; }
  Counter& rejected(Rejection why) { return *rejected_[static_cast<size_t>(why)]; }
  Counter& queueFull() { return queue_full_; }
  Counter& deliveryFailed() { return delivery_failed_; }
  Gauge& queueDepth() { return queue_depth_; }
  Counter& deduplicated() { return deduplicated_; }
  Counter& deduplicatedRuns() { return deduplicated_runs_; }
  Counter& abandoned() { return abandoned_; }

 private:
  std::vector<std::pair<std::string, Counter*>> accepted_;
  std::vector<Histogram*> latency_;
  std::vector<Counter*> rejected_;
  Counter& queue_full_;
  Counter& delivery_failed_;
  Gauge& queue_depth_;
  Counter& deduplicated_;
  Counter& deduplicated_runs_;
  Counter& abandoned_;
};

}  // namespace batchrun::ingest
