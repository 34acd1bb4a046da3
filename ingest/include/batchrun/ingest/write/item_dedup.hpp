#pragma once
// Per-item idempotency keys: an item's own `idempotency_key` names one run per project
// (run_ids.hpp). When that run already exists, the item is answered with it — `deduplicated: true`,
// the existing run's created_at and status — and is not produced again; the request's other items
// are produced as usual. The new batch is made of the runs it produced: their batch_size is their
// number, so the batch's counts and `batch.completed` cover exactly them (a request whose items all
// existed produces no batch at all). Pure functions; thread-safe.
//
// Residual race (ingest/README.md, "Per-item idempotency keys"): two requests that carry
// the same new key at the same moment — on one instance or two, before the first run is in the
// read view — both produce it; the dispatcher's dedup by run id still runs it once, but both answers
// say `deduplicated: false`.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "batchrun/common/records/run.hpp"

namespace batchrun::ingest {

// The run `run_id` of `project`, if ingest's read view has it (RunView::get).
using RunLookup = std::function<std::optional<Run>(const std::string& project, const std::string& run_id)>;

// For every i with candidates[i] (item i carried its own idempotency_key) whose run exists:
// runs[i] takes the existing run's created_at and status, and the result's [i] is true.
std::vector<bool> markExisting(std::vector<Run>& runs, const std::vector<bool>& candidates, const RunLookup& lookup);

// Moves the runs not deduplicated out of `runs`, in order, and sets their batch_size (batch runs
// only) to their number; batch_index stays the item's position in the request.
std::vector<Run> takeNew(std::vector<Run>& runs, const std::vector<bool>& deduplicated);

// Index list <-> flags, for the idempotency record (IdempotencyRecord::deduplicated).
std::vector<int> indexesOf(const std::vector<bool>& flags);
std::vector<bool> flagsOf(const std::vector<int>& indexes, size_t n);

}  // namespace batchrun::ingest
