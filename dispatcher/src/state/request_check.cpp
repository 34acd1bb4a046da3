#include "batchrun/dispatcher/state/request_check.hpp"

#include "batchrun/common/ids.hpp"

namespace batchrun::dispatcher {

std::string requestProblem(const Run& run) {
  Uuid id;
  if (!parseUuid(run.run_id, id)) return "run_id is not a UUID";
  if (run.project.empty()) return "project is empty";
  if (run.workflow_id.empty() && run.destination.empty()) return "neither workflow_id nor destination";
  if (run.status != RunStatus::kQueued || run.version != 0) return "status is not a queued request";
  if (run.priority < 1 || run.priority > 100) return "priority is not 1..100";
  if (run.max_attempts < 1 || run.max_attempts > kMaxRequestAttempts) return "max_attempts is out of range";
  if (run.timeout_seconds < 1 || run.timeout_seconds > kMaxRequestTimeoutSeconds) return "timeout_seconds is out of range";
  // batch_index may reach past batch_size: items answered with an existing run are not counted.
  if (run.batch_size < 0 || run.batch_index < 0) return "batch_size/batch_index are negative";
  if (run.queue_limit < 0) return "queue_limit is negative";
  return {};
}

}  // namespace batchrun::dispatcher
