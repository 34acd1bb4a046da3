#pragma once
// The typed bodies of POST /v1/batches and POST /v1/workflows/{id}/runs, and their strict parsers.
// A parser reads the whole body, reports every problem at once (unknown fields, wrong types,
// ranges, URLs, sizes; each naming the item index and a path like "runs[3].priority") and
// returns items only when there are none: inner code sees validated values only.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

inline constexpr int kBatchDefaultPriority = 90;   // as Extend does: bulk work yields to single runs
inline constexpr int kSingleDefaultPriority = 50;
inline constexpr size_t kMaxReportedProblems = 1000;

// One validated run request. Batch-level defaults (workflow_id, priority, metadata) are applied.
struct RunItem {
  std::string workflow_id;
  std::string input = "null";    // raw JSON text, passed through untouched
  // Set instead of `input` by the batch parser: the input's text in the request body, which outlives
  // the request's produce (one copy of each input fewer: ≈ 1 MB per 1,000-item batch).
  std::string_view input_text;
  std::string_view inputText() const { return input_text.empty() ? std::string_view(input) : input_text; }
  std::string metadata = "{}";   // raw JSON object; top-level batch metadata merged under the item's
  int priority = kBatchDefaultPriority;
  std::string idempotency_key;   // empty: none
  std::string queue;
  std::string concurrency_key;
  std::string destination;       // empty: the workflow's registered endpoint
  int timeout_seconds = 0;       // 0: the workflow's default, else the system default
  int max_attempts = 0;          // likewise
};

struct RunRequestLimits {
  int max_items = 1000;
  int64_t max_item_bytes = 256 * 1024;  // an item's input + metadata
};

struct ParsedRuns {
  std::vector<RunItem> items;      // empty when errors is not
  std::vector<FieldError> errors;
};

// {workflow_id?, priority?, metadata?, runs: [{workflow_id?, input, metadata?, priority?,
//  idempotency_key?, queue?, concurrency_key?, timeout_seconds?, max_attempts?, destination?}]}
ParsedRuns parseBatchRequest(std::string_view body, const RunRequestLimits& limits);
// The same item fields without workflow_id (it comes from the path); default priority 50.
ParsedRuns parseSingleRunRequest(std::string_view body, std::string_view workflow_id, const RunRequestLimits& limits);

}  // namespace batchrun::ingest
