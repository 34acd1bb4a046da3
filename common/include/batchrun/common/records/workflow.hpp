#pragma once
// A workflow registration (PUT /v1/workflows/{id}), kept in the compacted `workflows` topic keyed
// "project/workflow_id"; a null value (tombstone) deletes it. Ingest writes it; the dispatcher
// follows the topic to learn endpoints, limits and defaults.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "batchrun/common/result.hpp"

namespace batchrun {

struct Workflow {
  std::string project;
  std::string workflow_id;
  std::string endpoint;            // worker URL the dispatcher POSTs runs to
  int concurrency_limit = 0;       // running runs of this workflow at once; 0 = unlimited
  std::map<std::string, int> queues;  // queue name → limit per concurrency key (Polos semantics)
  int timeout_seconds = 0;         // default for runs that do not set one; 0 = the system default
  int max_attempts = 0;            // likewise
  int64_t created_at = 0;
  int64_t updated_at = 0;

  std::string key() const { return project + "/" + workflow_id; }
};

std::string encodeWorkflow(const Workflow& w);
Result<Workflow> decodeWorkflow(std::string_view json);

}  // namespace batchrun
