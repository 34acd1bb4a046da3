#pragma once
// Extend dialect (docs/compat.md "Extend"):
//   POST /workflow_runs/batch   {workflow: {id, version?}, inputs: [{file | rawText, metadata?}]}   → 200 {batchId}
//                               older API versions: {workflowId, version?, inputs}              → 200 {success: true, batchId}
//   GET  /workflow_runs?batchId=&status=&workflowId=&nextPageToken=&maxPageSize=   (max 1,000)
//   GET  /workflow_runs/{id}
// The header x-extend-api-version selects the shape: a version before 2026-02-09 (2024-12-23,
// 2025-04-21) is the older one; none or a later one is the current one. Every run gets priority 90.
// Errors: {code, message, retryable, requestId, details} (current) or {success: false, error} (older).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

inline constexpr const char* kExtendCurrentVersion = "2026-02-09";
inline constexpr int kExtendPriority = 90;

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

const char* extendStatus(RunStatus s);
std::optional<RunStatus> runStatusFromExtend(std::string_view s);
std::string extendRunJson(const Run& run);
std::string extendErrorBody(bool legacy, int http_code, std::string_view message, const std::vector<FieldError>& details);

}  // namespace batchrun::ingest
