#include "batchrun/webhook/sender_metrics.hpp"

namespace batchrun::webhook {

SenderMetrics::SenderMetrics(MetricsRegistry& r, int endpoint_labels)
    : events(r.counter("batchrun_webhook_events_total", "runs.events records read and routed")),
      deferred(r.counter("batchrun_webhook_deferred_total",
                         "first attempts handed to webhooks.retry because the endpoint was busy or paused")),
      retries(r.counter("batchrun_webhook_retries_scheduled_total", "retry records written to webhooks.retry")),
      dead_lettered(r.counter("batchrun_webhook_dlq_total", "deliveries written to webhooks.dlq")),
      disabled(r.counter("batchrun_webhook_endpoints_disabled_total", "endpoints disabled by the sender")),
      retry_backlog(r.gauge("batchrun_webhook_retry_backlog", "deliveries waiting in webhooks.retry")),
      in_flight(r.gauge("batchrun_webhook_in_flight", "webhook requests in flight")),
      pending_events(r.gauge("batchrun_webhook_pending_events", "events read whose deliveries are not settled")),
      endpoints(r.gauge("batchrun_webhook_endpoints", "webhook endpoints known")),
      lag(r.histogram("batchrun_webhook_lag_seconds", "event produced to delivered, seconds")),
      view_sync(r.histogram("batchrun_webhook_view_sync_seconds",
                            "endpoint view syncs events waited for before routing (end-offset query + reading up to it), seconds")),
      held_batches(r.gauge("batchrun_webhook_batch_completed_held",
                           "batch.completed deliveries waiting for the batch's run-event deliveries to be over")),
      registry_(r),
      endpoint_labels_(endpoint_labels) {}

SenderMetrics::PerEndpoint& SenderMetrics::endpoint(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  auto it = per_endpoint_.find(endpoint_id);
  if (it != per_endpoint_.end()) return it->second;
  bool own = static_cast<int>(per_endpoint_.size()) < endpoint_labels_;
  std::string label = own ? endpoint_id : "other";
  if (!own) {
    if (auto other = per_endpoint_.find("other"); other != per_endpoint_.end()) return other->second;
  }
  Labels labels = {{"endpoint", label}};
  PerEndpoint series{
      &registry_.counter("batchrun_webhook_deliveries_total", "successful webhook attempts", labels),
      &registry_.counter("batchrun_webhook_failures_total", "failed webhook attempts", labels),
      &registry_.histogram("batchrun_webhook_request_seconds", "webhook request latency, seconds", labels)};
  return per_endpoint_.emplace(label, series).first->second;
}

}  // namespace batchrun::webhook
