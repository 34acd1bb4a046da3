#pragma once
// Extend's workflow_run object, as ingest answers it (GET /workflow_runs/{id}, lists, cancel) and as
// the webhook-sender sends it in Extend's webhook payloads: one renderer, so both carry every field
// the Extend SDKs' WorkflowRun and WorkflowRunSummary types require, with the same values
// (docs/compat.md says where each comes from).
#include <string>

#include "batchrun/common/records/run.hpp"
#include "batchrun/common/records/workflow.hpp"

namespace batchrun {

// PENDING, PROCESSING, PROCESSED, FAILED, CANCELLED.
const char* extendStatus(RunStatus s);

// What a workflow run object says beyond the run itself.
struct ExtendRunContext {
  const Workflow* workflow = nullptr;  // the workflow's registration, when the project still has it
  bool cancelling = false;             // a cancel was just recorded: a run not ended yet is CANCELLING
};
std::string extendRunJson(const Run& run, const ExtendRunContext& context = {});

}  // namespace batchrun
