#pragma once
// Upstash Workflow dialect (docs/compat.md "Upstash"):
//   POST   /v2/batch/trigger   [{destination, body?, headers?}] → 201 [{workflowRunId, workflowCreatedAt, deduplicated}]
//   POST   /v2/batch           QStash's batch API, as @upstash/workflow's client.trigger() sends it:
//                               workflow triggers only (Upstash-Workflow-Init: true), the same runs as
//                               /v2/batch/trigger → 200 [{messageId, url, deduplicated, workflowRunId, workflowCreatedAt}]
//   DELETE /v2/workflows/runs/{workflowRunId}                   → 200 (cancel requested)
//   DELETE /v2/workflows/runs?workflowRunIds=…                  → 200 {cancelled: N} (client.cancel())
//   anything else under /v2/                                    → 404 / 405 (Allow) in the error shape
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
#include <map>
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
  std::string workflow_init;     // Upstash-Workflow-Init as sent (/v2/batch requires "true")
};

// Which endpoint a batch came to: the items have the same shape, /v2/batch takes workflow triggers only.
enum class UpstashEndpoint { kBatchTrigger, kQStashBatch };

struct UpstashBatch {
  std::vector<UpstashItem> items;
  std::vector<FieldError> errors;
};

// For kQStashBatch every item must carry Upstash-Workflow-Init: true (a plain QStash message, or a
// workflow step, is an error naming the item), and an item without Upstash-Retries gets Upstash's
// default of 3 retries (the SDK leaves the header out for 3).
UpstashBatch parseUpstashBatch(std::string_view body, const RunRequestLimits& limits,
                               UpstashEndpoint endpoint = UpstashEndpoint::kBatchTrigger);

// DELETE /v2/workflows/runs: the ids to cancel, from the query (workflowRunIds, one value or
// comma-separated) and a JSON body {"workflowRunIds": [...]}. Cancelling by filter (workflowUrl,
// label, ...) or all (the SDK's {all: true} sends only count) is refused: an error names it.
inline constexpr size_t kMaxUpstashCancelIds = 1000;
struct UpstashCancel {
  std::vector<std::string> workflow_run_ids;  // distinct, in the order given
  std::vector<FieldError> errors;
};
UpstashCancel parseUpstashCancel(const std::map<std::string, std::string>& query, std::string_view body);

// The methods a path under /v2/ allows ("" for a path batchrun does not serve); nullopt when the
// path is not under /v2/ (not Upstash's).
std::optional<std::string> upstashAllowedMethods(std::string_view path);

// The run a workflowRunId names in `project`, if any is in the view (its index fields: RunView::summary).
std::optional<Run> findUpstashRun(const RunView& view, const std::string& project, std::string_view workflow_run_id);
// The per-item idempotency key that derives the run id of a custom workflowRunId.
std::string upstashItemKey(std::string_view workflow_run_id);

std::string upstashErrorBody(std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
