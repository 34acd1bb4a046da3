#pragma once
// Polos Orchestrator API dialect (docs/compat.md "Polos"):
//   POST /api/v1/workflows/batch_run          {workflows: [...], session_id?, user_id?, ...} → 200 {executions}
//   POST /api/v1/workflows/{workflow_id}/run  {payload, ...same options}                → 200 {execution_id, created_at}
//   GET  /api/v1/executions/{id}, POST /api/v1/executions/{id}/cancel
//   anything else under /api/v1: 404, or 405 with Allow, in the error shape below
// X-Project-ID (or Project-ID) is required and must equal the API key's project. Errors are Polos's
// {"error", "error_type"} (plus "details" naming item index and field). Pure parsers and renderers
// here; the routes are in polos_routes.cpp.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/write/run_request.hpp"

namespace batchrun::ingest {

struct PolosRequest {
  std::vector<RunItem> items;      // queue defaults to the workflow id; Polos options in metadata
  std::vector<int> queue_limits;   // per item: queue_concurrency_limit, 0 = none
  std::vector<FieldError> errors;  // non-empty: nothing is valid
};

PolosRequest parsePolosBatch(std::string_view body, const RunRequestLimits& limits);
PolosRequest parsePolosRun(std::string_view body, std::string_view workflow_id, const RunRequestLimits& limits);

// Polos's name for a status: queued, running, completed, failed, cancelled (retrying → queued,
// timed_out → failed).
const char* polosStatus(RunStatus s);
// The Polos execution object of a run.
std::string polosExecutionJson(const Run& run);
// Routes under /api/v1 that batchrun serves: nullopt for a path outside that prefix; otherwise the
// methods the path has ("GET", "POST"), empty for a path it does not have.
std::optional<std::string> polosAllowedMethods(std::string_view path);
// {"error": message, "error_type": TYPE, "details": [...]}
std::string polosErrorBody(int http_code, std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
