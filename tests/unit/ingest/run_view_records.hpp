#pragma once
// Run records for the RunView unit tests: ids that sort by a number, lane records (version 0) and
// the state records that follow them, as encodeRun writes them (what the follower reads).
#include <algorithm>
#include <cstdio>
#include <string>

#include "batchrun/common/run.hpp"

namespace batchrun::ingest::testing {

// UUID text whose order (bytes and text) is the order of n, like UUIDv7 run ids.
inline std::string runId(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "0190aaaa-0000-7000-8000-%012x", n);
  return buf;
}

inline std::string batchId(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "0190bbbb-0000-7000-9000-%012x", n);
  return buf;
}

// The lane record ingest writes: queued, version 0, partition -1.
inline Run laneRun(std::string project, int n, std::string batch = {}, int batch_size = 0) {
  Run r;
  r.run_id = runId(n);
  r.project = std::move(project);
  r.batch_id = std::move(batch);
  r.batch_size = r.batch_id.empty() ? 0 : batch_size;
  r.workflow_id = "wf";
  r.input = "{\"n\":" + std::to_string(n) + "}";
  r.lane = "normal";
  r.created_at = 1'700'000'000'000 + n;
  return r;
}

// The next runs.state record of `r`: one version up, in `status`.
inline Run advanced(Run r, RunStatus status, int64_t completed_at = 0) {
  r.version += 1;
  r.status = status;
  r.attempt = std::max(r.attempt, 1);
  if (isTerminal(status)) r.completed_at = completed_at;
  return r;
}

}  // namespace batchrun::ingest::testing
