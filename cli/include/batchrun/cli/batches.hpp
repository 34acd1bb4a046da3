#pragma once
// Reading batches back: waiting for batches to complete (GET /v1/batches/{id}, with a progress bar)
// and fetching every run of a batch (GET /v1/runs?batch_id=…, following cursors). An item whose own
// idempotency_key named an existing run is answered with that run, which belongs to another batch:
// waitForRuns reads such runs one by one.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "batchrun/cli/api_client.hpp"
#include "batchrun/cli/progress.hpp"

namespace batchrun::cli {

struct RunResult {
  std::string status;
  std::string output = "null";  // JSON text
  std::string error = "null";   // JSON text
};

struct BatchTotals {
  size_t total = 0;
  size_t terminal = 0;
  std::map<std::string, long> counts;  // status → runs
};

// Polls until every batch reports "status":"completed"; updates progress with terminal runs.
// Returns an error message, or nothing with totals summed over the batches. A batch the API does
// not know (404) is waited for, unless `has_no_runs(batch_id)` says it never will have any (every
// item named an existing run); such a batch counts as done.
std::optional<std::string> waitForBatches(ApiClient& api, const std::vector<std::string>& batch_ids, Progress& progress,
                                          BatchTotals& totals, int poll_ms = 1000,
                                          const std::function<bool(const std::string&)>& has_no_runs = {});

// GET /v1/runs/{id} as it is now (found false on 404).
struct RunSnapshot {
  bool found = false;
  std::string batch_id;
  RunResult result;
};
std::optional<std::string> readRun(ApiClient& api, const std::string& run_id, RunSnapshot& out);

// Polls each run until it is terminal (completed, failed, cancelled, timed_out) and stores it in out.
std::optional<std::string> waitForRuns(ApiClient& api, const std::vector<std::string>& run_ids,
                                       std::map<std::string, RunResult>& out, int poll_ms = 1000);

std::optional<std::string> fetchBatchRuns(ApiClient& api, const std::string& batch_id,
                                          std::map<std::string, RunResult>& out);

// "completed 4, failed 1" from counts (statuses with zero runs left out).
std::string describeCounts(const std::map<std::string, long>& counts);

}  // namespace batchrun::cli
