#pragma once
// The run: what ingest produces to a lane topic (status queued) and what the dispatcher records
// in runs.state at every change of status. One flat struct for both so a run is encoded once.
// JSON-valued fields (input, metadata, output) are kept as raw JSON text: they are passed through,
// never interpreted, so they are parsed and printed at most once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "batchrun/common/result.hpp"

namespace batchrun {

enum class RunStatus { kQueued, kRunning, kRetrying, kCompleted, kFailed, kCancelled, kTimedOut };

const char* toString(RunStatus s);
std::optional<RunStatus> parseRunStatus(std::string_view s);
inline bool isTerminal(RunStatus s) {
  return s == RunStatus::kCompleted || s == RunStatus::kFailed || s == RunStatus::kCancelled ||
         s == RunStatus::kTimedOut;
}

struct Run {
  // Identity and request (set by ingest).
  std::string run_id;
  std::string batch_id;     // empty for a single run
  std::string project;
  std::string workflow_id;
  std::string input = "null";    // raw JSON
  std::string metadata = "{}";   // raw JSON object
  int priority = 50;             // 1..100, lower runs first
  std::string lane;
  std::string queue;             // empty: none
  int queue_limit = 0;           // per-item queue concurrency limit (Polos queue_concurrency_limit); 0 = none
  std::string concurrency_key;   // empty: none
  std::string destination;       // per-item worker URL; empty: the workflow's endpoint
  std::string headers = "{}";    // raw JSON object of extra headers forwarded to the worker
  std::string failure_callback;  // URL told of a final failure (Upstash); empty: none
  std::string failure_callback_headers = "{}";  // raw JSON object of headers sent with that call
  std::string external_id;       // the run's id in the dialect that submitted it (Upstash workflowRunId); empty: none
  int timeout_seconds = 3600;
  int max_attempts = 3;
  int64_t created_at = 0;        // unix ms
  std::string traceparent;       // W3C trace context of the submitting request, if any
  int batch_size = 0;            // runs in the batch (0 for single runs)
  int batch_index = 0;

  // Execution state (set by the dispatcher).
  RunStatus status = RunStatus::kQueued;
  int attempt = 0;               // 1-based number of the current or last attempt
  int64_t started_at = 0;        // first attempt started (timeout_seconds counts from here)
  int64_t completed_at = 0;
  int64_t updated_at = 0;
  int64_t next_attempt_at = 0;   // while retrying
  std::string output;            // raw JSON; empty: none
  std::string error_code;        // empty: none
  std::string error_message;
  int32_t partition = -1;        // lane partition of the request: runs.state/runs.control use it too
  int64_t version = 0;           // 0 = the request; +1 per recorded change

  // Routing key per DESIGN: concurrency_key, else queue if it has a limit, else run_id.
  const std::string& routingKey() const;
};

// Encodes the full record (used for lane topics and runs.state).
std::string encodeRun(const Run& run);
// The same with `input` in place of run.input (ingest passes the request body's text of it, so an
// item's input is copied once, into the record).
std::string encodeRun(const Run& run, std::string_view input);
Result<Run> decodeRun(std::string_view json);

// Appends the public fields of a run (what events, webhooks and GET /v1/runs show) to a JSON
// object under construction: `out` ends just after '{' or a ','.
void appendRunFields(std::string& out, const Run& run);

}  // namespace batchrun
