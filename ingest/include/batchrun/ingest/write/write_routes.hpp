#pragma once
// The write side of the API:
//   POST /v1/batches                     1..N runs → 202 {batch_id, created_at, runs: [...]}
//   POST /v1/workflows/{workflow_id}/runs one run  → 201 {run_id, created_at, status, deduplicated}
// Data flow per request: edge checks (401/415/413) → strict parse (400, every problem at once) →
// Idempotency-Key window (replay or 409) → workflow check (400 for an item with neither a registered
// workflow nor a destination; workflow_check.hpp) → admission (503 while Kafka is unreachable, 429
// when too much is unacknowledged: refused before anything is produced) → runs built → items whose
// own idempotency_key names an existing run are answered with it, not produced (item_dedup.hpp) →
// Submission produces the rest and answers once Kafka has reported on all of them.
#include <pistache/router.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/config/ingest_config.hpp"
#include "batchrun/ingest/write/idempotency_store.hpp"
#include "batchrun/ingest/http/ingest_metrics.hpp"
#include "batchrun/ingest/write/item_dedup.hpp"
#include "batchrun/ingest/kafka/kafka_health.hpp"
#include "batchrun/ingest/read/run_index.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/kafka/submission.hpp"
#include "batchrun/ingest/write/workflow_check.hpp"
#include "batchrun/ingest/admin/workflow_view.hpp"

namespace batchrun::ingest {

// Once Kafka has acknowledged a request's lane records, `accepted` indexes them in this instance's
// read view (read-your-writes: each run at its lane position; a partition < 0: not acknowledged);
// then their runs.index record is written for every instance's view, carrying `instance` so that
// this one skips it. `accepted` must be quick and must not throw.
struct AcceptedHooks {
  std::string instance;
  std::function<void(const RunIndex& request)> accepted;
};

struct WriteDeps {
  const IngestConfig& config;
  const Topics& topics;
  Producer& producer;
  Producer* index_producer;  // the runs.index records (no linger); null: `producer`
  IdempotencyStore& idempotency;
  std::function<bool()> idempotency_ready;  // the window has been read from Kafka
  const WorkflowView& workflows;
  RunLookup find_run;  // the read view (per-item idempotency keys); empty: no per-item dedup
  KafkaHealth& health;
  IngestMetrics& metrics;
  SubmissionTracker& tracker;
  const Clock& clock;
  AcceptedHooks on_accepted;  // optional
  std::function<bool()> draining = [] { return false; };
};

// `deps` must outlive the router's endpoint.
void addWriteRoutes(Pistache::Rest::Router& router, WriteDeps& deps);

// How one API dialect (the compat_*.cpp adapters: Polos, Extend, Upstash) answers through the same
// write flow as /v1: same idempotency window, admission, Kafka records and answer-after-ack; only
// the bodies and the extra run fields differ.
struct WriteDialect {
  std::string route;       // mixed into the Idempotency-Key fingerprint, e.g. "POST /v2/batch/trigger"
  bool is_batch = true;    // a batch gets a batch_id and batch positions
  Pistache::Http::Code success_code = Pistache::Http::Code::Accepted;
  // The success body (also for an idempotent replay, rebuilt from the same ids). `runs` has one
  // entry per item; deduplicated[i] says item i was not produced by this request (a replay, or its
  // own idempotency_key named an existing run, whose created_at and status runs[i] then carries).
  std::function<std::string(const std::vector<Run>& runs, const std::string& batch_id, int64_t created_at,
                            const std::vector<bool>& deduplicated)>
      success_body;
  ErrorReplier reply_error;                       // empty: the native envelope
  std::function<void(std::vector<Run>&)> adjust;  // optional: fields RunItem does not carry
  UnregisteredWorkflow unregistered_workflow;     // empty: the native /v1 problem (runs[i].workflow_id)
};

// The write flow from the Idempotency-Key check on, for a request whose caller was authenticated
// (`project`) and whose body the dialect validated into `items`. Answers the request.
void submitRuns(WriteDeps& deps, const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& rw,
                std::string project, std::vector<RunItem> items, WriteDialect dialect);

}  // namespace batchrun::ingest
