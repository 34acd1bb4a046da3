#pragma once
// Extend dialect (docs/compat.md "Extend"):
//   POST /workflow_runs/batch   {workflow: {id, version?}, inputs: [{file | rawText, metadata?}], priority?}
//                                                                                         → 200 {batchId}
//                               older API versions: {workflowId, version?, inputs, priority?}
//                                                                                         → 200 {success: true, batchId}
//     file: {url, name?, settings?} | {id} | {text, name?} (older: {fileUrl | fileId, fileName?})
//   GET  /workflow_runs?batchId=&status=&workflowId=&nextPageToken=&maxPageSize=   (max 1,000)
//   GET  /workflow_runs/{id}
//   POST /workflow_runs/{id}/cancel                                  → 200 the run, status CANCELLING
//   anything else under /workflow_runs: 404, or 405 with Allow, in the error shape below
// The header x-extend-api-version selects the shape: a version before 2026-02-09 (2024-12-23,
// 2025-04-21) is the older one; none or a later one is the current one. `priority` is Extend's
// 1..100 (lower first, default 90) and batchrun's own scale: the run's priority, hence its lane.
// Errors: {code, message, retryable, requestId, details} (current) or {success: false, error} (older).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/dialects/extend_run.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/common/records/workflow.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

inline constexpr const char* kExtendCurrentVersion = "2026-02-09";
inline constexpr int kExtendPriority = 90;  // Extend's default for batch runs

// True for the older request/answer shapes ({workflowId}, {success: true, ...}).
bool extendLegacy(std::string_view api_version);

struct ExtendBatch {
  std::vector<RunItem> items;      // input = the item without its metadata; metadata = the item's
  std::vector<FieldError> errors;
};
ExtendBatch parseExtendBatch(std::string_view body, bool legacy, const RunRequestLimits& limits);

struct ExtendListQuery {
  RunQuery query;
  std::vector<FieldError> errors;
};
// Raw query parameters (undecoded, as Pistache gives them).
ExtendListQuery parseExtendList(const std::map<std::string, std::string>& params);

// extendStatus and extendRunJson (the workflow_run object, both API versions) are shared with
// the webhook-sender: batchrun/common/dialects/extend_run.hpp.
std::optional<RunStatus> runStatusFromExtend(std::string_view s);

// Routes under /workflow_runs that batchrun serves: nullopt for a path outside that prefix;
// otherwise the methods the path has ("GET", "POST", "GET, POST"), empty for a path it does not have.
std::optional<std::string> extendAllowedMethods(std::string_view path);
std::string extendErrorBody(bool legacy, int http_code, std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
