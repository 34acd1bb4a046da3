#pragma once
// The dispatcher's Prometheus series. Label values are bounded: lanes and statuses are fixed
// sets; workflow labels are capped (the first kMaxWorkflowLabels seen, then "_other").
// Used from the dispatch loop only (the registry itself is thread-safe for /metrics), except
// failureCallbacks().
#include <map>
#include <string>
#include <vector>

#include "batchrun/common/metrics.hpp"

namespace batchrun::dispatcher {

class DispatcherMetrics {
 public:
  static constexpr size_t kMaxWorkflowLabels = 100;
  DispatcherMetrics(MetricsRegistry& registry, const std::vector<std::string>& lanes);

  Counter& dispatched(int lane) { return *dispatched_[static_cast<size_t>(lane)]; }
  Counter& outcome(const std::string& lane, const std::string& status);
  Counter& retries(int lane) { return *retries_[static_cast<size_t>(lane)]; }
  Gauge& lag(int lane) { return *lag_[static_cast<size_t>(lane)]; }
  Gauge& buffered(int lane) { return *buffered_[static_cast<size_t>(lane)]; }
  Gauge& workflowInflight(const std::string& workflow_key);
  Gauge& inflight() { return *inflight_; }
  Gauge& queueKeysInflight() { return *queue_keys_; }
  Gauge& partitions() { return *partitions_; }
  Gauge& unackedOutcomes() { return *unacked_outcomes_; }
  Counter& backpressurePauses() { return *backpressure_pauses_; }
  Gauge& awaitingWorkflow() { return *awaiting_workflow_; }
  Counter& rebuilds() { return *rebuilds_; }
  Counter& reannounced() { return *reannounced_; }
  Histogram& callSeconds() { return *call_seconds_; }
  // Failure callbacks by result: delivered, retried, failed. Created up front, so this lookup is
  // safe from the callback sender's threads too.
  Counter& failureCallbacks(const std::string& result) { return *failure_callbacks_.at(result); }

 private:
  MetricsRegistry& registry_;
  std::vector<Counter*> dispatched_, retries_;
  std::vector<Gauge*> lag_, buffered_;
  std::map<std::pair<std::string, std::string>, Counter*> outcomes_;
  std::map<std::string, Gauge*> workflows_;
  Gauge* inflight_;
  Gauge* queue_keys_;
  Gauge* partitions_;
  Gauge* unacked_outcomes_;
  Counter* backpressure_pauses_;
  Gauge* awaiting_workflow_;
  Counter* rebuilds_;
  Counter* reannounced_;
  Histogram* call_seconds_;
  std::map<std::string, Counter*> failure_callbacks_;  // fixed after construction
};

}  // namespace batchrun::dispatcher
