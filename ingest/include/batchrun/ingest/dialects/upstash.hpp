#pragma once
// Upstash Workflow dialect (docs/compat.md "Upstash"):
//   POST   /v2/batch/trigger   [{destination, body?, headers?}] → 201 [{workflowRunId, workflowCreatedAt, deduplicated}]
//   DELETE /v2/workflows/runs/{workflowRunId}                   → 200 (cancel requested)
// Auth: bearer key or the qstash_token query parameter. Errors: {"error": "..."} (+ details).
// Items carry a destination instead of a workflow: runs get workflow_id "upstash" and the
// destination as their per-run worker URL.
//
// Run ids. batchrun run ids are UUIDs (the RunView indexes them as such), Upstash's are "wfr_…":
//   - generated: workflowRunId = "wfr_" + run_id (the UUID), so the mapping is a prefix;
//   - Upstash-Workflow-RunId: X → workflowRunId "wfr_X" (X kept if it already starts with wfr_),
//     run_id = UUIDv5 of (project, "upstash/" + workflowRunId) through the per-item idempotency key,
//     so the same id always names the same run; an id whose run exists is not started again and is
//     answered with deduplicated: true.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

inline constexpr const char* kUpstashWorkflowId = "upstash";
inline constexpr const char* kUpstashFlowQueue = "upstash-flow-control";

struct UpstashItem {
  RunItem item;                  // workflow "upstash", destination, input from body
  std::string workflow_run_id;   // "wfr_…" when Upstash-Workflow-RunId was given, else empty
  std::string headers = "{}";    // Upstash-Forward-* (and plain) headers, as a JSON object
  std::string failure_callback;  // Upstash-Failure-Callback
  std::string failure_callback_headers = "{}";  // Upstash-Failure-Callback-Forward-*, as a JSON object
  int parallelism = 0;           // Upstash-Flow-Control-Value parallelism=N (per flow-control key)
};

struct UpstashBatch {
  std::vector<UpstashItem> items;
  std::vector<FieldError> errors;
};

UpstashBatch parseUpstashBatch(std::string_view body, const RunRequestLimits& limits);

// The run a workflowRunId names in `project`, if any is in the view (its index fields: RunView::summary).
std::optional<Run> findUpstashRun(const RunView& view, const std::string& project, std::string_view workflow_run_id);
// The per-item idempotency key that derives the run id of a custom workflowRunId.
std::string upstashItemKey(std::string_view workflow_run_id);

std::string upstashErrorBody(std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
