#pragma once
// Workflow registration, scoped to the caller's project:
//   PUT    /v1/workflows/{id}  {endpoint, concurrency_limit?, queues?: {name: limit}, timeout_seconds?,
//                               max_attempts?} → 201 (new) / 200 (replaced) with the workflow
//   GET    /v1/workflows/{id}  → 200 / 404
//   DELETE /v1/workflows/{id}  → 204 / 404 (a tombstone in the compacted `workflows` topic)
// Writes go to Kafka first (acknowledged before answering), then into the local WorkflowView; the
// dispatcher and every other ingest follow the topic.
#include <pistache/router.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "batchrun/ingest/config/ingest_config.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/http/ingest_metrics.hpp"
#include "batchrun/ingest/kafka/kafka_health.hpp"
#include "batchrun/ingest/admin/workflow_view.hpp"

namespace batchrun::ingest {

inline constexpr int kMaxConcurrencyLimit = 1'000'000;

struct WorkflowDeps {
  const IngestConfig& config;
  const Topics& topics;
  Producer& producer;
  WorkflowView& view;
  KafkaHealth& health;
  IngestMetrics& metrics;
  const Clock& clock;
  // Brings `view` up to what the workflows topic holds now (false: not within the catch-up time):
  // a workflow another instance registered a moment ago is not a 404 here.
  std::function<bool()> catch_up;
};

// `deps` must outlive the router's endpoint.
void addWorkflowRoutes(Pistache::Rest::Router& router, WorkflowDeps& deps);

// Strict parser of a PUT body into the registration fields of `out`; every problem is listed.
std::vector<FieldError> parseWorkflowBody(std::string_view body, Workflow& out);
// The public JSON of a registration (no project: it is always the caller's).
std::string workflowJson(const Workflow& w);

}  // namespace batchrun::ingest
