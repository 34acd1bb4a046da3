#include "batchrun/ingest/http/ingest_metrics.hpp"

namespace batchrun::ingest {

namespace {
constexpr const char* kRoutes[] = {"POST /v1/batches", "POST /v1/workflows/{id}/runs", "PUT /v1/workflows/{id}",
                                   "GET /v1/workflows/{id}", "DELETE /v1/workflows/{id}"};
constexpr const char* kReasons[] = {"unauthorized", "unsupported_media_type", "payload_too_large", "invalid_request",
                                    "conflict", "backpressure", "unavailable"};
}  // namespace

IngestMetrics::IngestMetrics(MetricsRegistry& r, const std::vector<Lane>& lanes)
    : queue_full_(r.counter("batchrun_ingest_produce_errors_total", "Records Kafka refused or failed to acknowledge",
                            {{"kind", "queue_full"}})),
      delivery_failed_(r.counter("batchrun_ingest_produce_errors_total",
                                 "Records Kafka refused or failed to acknowledge", {{"kind", "delivery"}})),
      queue_depth_(r.gauge("batchrun_ingest_producer_queue_depth", "Messages produced and not yet acknowledged")),
      deduplicated_(r.counter("batchrun_ingest_deduplicated_requests_total",
                              "Idempotent replays answered from the idempotency window without producing")),
      deduplicated_runs_(r.counter("batchrun_ingest_deduplicated_runs_total",
                                   "Items answered with the existing run of their own idempotency_key, not produced")),
      abandoned_(r.counter("batchrun_ingest_abandoned_answers_total",
                           "Answers not sent because the client had disconnected (it retries with its key)")) {
  for (const auto& lane : lanes) {
    accepted_.emplace_back(lane.name, &r.counter("batchrun_ingest_runs_accepted_total",
                                                 "Runs acknowledged by Kafka and answered 2xx", {{"lane", lane.name}}));
  }
  for (const char* route : kRoutes) {
    latency_.push_back(&r.histogram("batchrun_ingest_request_seconds", "Time from request to answer",
                                    {{"route", route}}));
  }
  for (const char* reason : kReasons) {
    rejected_.push_back(&r.counter("batchrun_ingest_rejected_total", "Requests answered with an error, by cause",
                                   {{"reason", reason}}));
  }
}

Counter& IngestMetrics::accepted(const std::string& lane) {
  for (auto& [name, counter] : accepted_) {
    if (name == lane) return *counter;
  }
  return *accepted_.back().second;
}

}  // namespace batchrun::ingest
