#include "batchrun/dispatcher/dispatcher_metrics.hpp"

namespace batchrun::dispatcher {

DispatcherMetrics::DispatcherMetrics(MetricsRegistry& r, const std::vector<std::string>& lanes) : registry_(r) {
  for (const auto& lane : lanes) {
    dispatched_.push_back(&r.counter("batchrun_dispatcher_runs_dispatched_total", "Attempts started, per lane", {{"lane", lane}}));
    retries_.push_back(&r.counter("batchrun_dispatcher_retries_total", "Attempts that will be retried, per lane", {{"lane", lane}}));
    lag_.push_back(&r.gauge("batchrun_dispatcher_consumer_lag", "Records not yet read on owned partitions, per lane", {{"lane", lane}}));
    buffered_.push_back(&r.gauge("batchrun_dispatcher_runs_waiting", "Runs read and waiting to start, per lane", {{"lane", lane}}));
  }
  inflight_ = &r.gauge("batchrun_dispatcher_runs_inflight", "Runs executing now (calls in flight or awaiting an async result)");
  queue_keys_ = &r.gauge("batchrun_dispatcher_queue_keys_inflight", "Queue/concurrency keys with limited runs executing");
  partitions_ = &r.gauge("batchrun_dispatcher_partitions_owned", "Partitions (per lane topic) this dispatcher owns");
  unacked_outcomes_ = &r.gauge("batchrun_dispatcher_outcomes_unacknowledged",
                               "Attempt outcomes recorded but not yet acknowledged by Kafka (lost, and executed "
                               "again, if the dispatcher crashes now)");
  backpressure_pauses_ = &r.counter("batchrun_dispatcher_backpressure_pauses_total",
                                    "Times new attempts were held because BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES "
                                    "outcomes waited for Kafka's acknowledgement");
  awaiting_workflow_ = &r.gauge("batchrun_dispatcher_runs_awaiting_workflow",
                                "Runs waiting for their workflow's registration before failing with no_endpoint");
  rebuilds_ = &r.counter("batchrun_dispatcher_partitions_rebuilt_total",
                         "Partitions taken over whose state was read back from runs.state");
  reannounced_ = &r.counter("batchrun_dispatcher_events_reannounced_total",
                            "Runs whose latest event was produced again at a takeover (after the previous "
                            "owner's last handover marker, in its last message.timeout.ms)");
  call_seconds_ = &r.histogram("batchrun_dispatcher_worker_call_seconds", "Worker HTTP call latency");
  for (const char* result : {"delivered", "retried", "failed"}) {
    failure_callbacks_[result] =
        &r.counter("batchrun_dispatcher_failure_callbacks_total",
                   "Failure callbacks of failed runs by result (delivered; retried: a try failed; failed: gave up)",
                   {{"result", result}});
  }
}

Counter& DispatcherMetrics::outcome(const std::string& lane, const std::string& status) {
  auto key = std::make_pair(lane, status);
  auto it = outcomes_.find(key);
  if (it != outcomes_.end()) return *it->second;
  Counter& c = registry_.counter("batchrun_dispatcher_run_outcomes_total", "Status changes recorded, per lane and status",
                                 {{"lane", lane}, {"status", status}});
  outcomes_[key] = &c;
  return c;
}

Gauge& DispatcherMetrics::workflowInflight(const std::string& workflow_key) {
  auto it = workflows_.find(workflow_key);
  if (it != workflows_.end()) return *it->second;
  std::string label = workflows_.size() < kMaxWorkflowLabels ? workflow_key : "_other";
  auto other = workflows_.find(label);
  Gauge& g = other != workflows_.end() ? *other->second
                                       : registry_.gauge("batchrun_dispatcher_workflow_runs_inflight",
                                                         "Runs executing now, per workflow (capped label set)",
                                                         {{"workflow", label}});
  workflows_[workflow_key] = &g;
  return g;
}

}  // namespace batchrun::dispatcher
