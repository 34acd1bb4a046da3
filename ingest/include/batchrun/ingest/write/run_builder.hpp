#pragma once
// Turns validated run requests into Run records: ids (run_ids.hpp), lane by priority, the
// workflow's defaults and queue limits, created_at, batch position, trace context. Also renders
// the records as Kafka messages and the 201/202 answer bodies. Pure functions; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/admin/workflow_view.hpp"

namespace batchrun::ingest {

inline constexpr int kDefaultTimeoutSeconds = 3600;
inline constexpr int kDefaultMaxAttempts = 3;

struct RunContext {
  std::string project;
  std::string request_key;     // Idempotency-Key header, empty: none
  std::string batch_id;        // empty for a single run
  int64_t created_at = 0;      // unix ms
  std::string traceparent;     // copied from the request, if any
  bool is_batch = true;
};

// Items are consumed (their JSON text is moved into the runs). With `body_inputs`, an item whose
// input is text of the request body (RunItem::input_text) stays there: its run's input is left empty
// and (*body_inputs)[item index] names it (the record copies it from the body); without, it is copied.
std::vector<Run> buildRuns(std::vector<RunItem>&& items, const RunContext& ctx, const std::vector<Lane>& lanes,
                           const WorkflowView* workflows, std::vector<std::string_view>* body_inputs = nullptr);

// encodeRun(run) to runs.requested.<lane>, keyed by the routing key, headers batch_id and project.
OutMessage requestMessage(const Topics& topics, const Run& run);
// The same with the run's input given (its text in the request body).
OutMessage requestMessage(const Topics& topics, const Run& run, std::string_view input);

// {"batch_id","created_at","runs":[{"run_id","created_at","deduplicated"}]}: one entry per item, with
// the run's own created_at (a deduplicated item's is its existing run's) and deduplicated[i].
std::string batchAnswer(const std::string& batch_id, int64_t created_at, const std::vector<Run>& runs,
                        const std::vector<bool>& deduplicated);
// {"run_id","created_at","status","deduplicated"}; status is "queued" unless the run already existed.
std::string singleAnswer(const Run& run, bool deduplicated);

}  // namespace batchrun::ingest
