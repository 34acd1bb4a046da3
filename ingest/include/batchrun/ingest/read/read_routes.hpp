#pragma once
// The read side of the API, served from the RunView and the SSE hub, every answer scoped to the
// caller's project (another project's run or batch is a 404, never a 403: ids are not confirmed):
//   GET /v1/runs/{run_id}, GET /v1/runs?..., GET /v1/batches/{batch_id},
//   GET /v1/batches/{batch_id}/events (Server-Sent Events).
#include <pistache/router.h>

#include <string>

#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/read/batch_events.hpp"
#include "batchrun/ingest/read/catch_up.hpp"
#include "batchrun/ingest/read/read_pool.hpp"
#include "batchrun/ingest/read/run_view.hpp"
#include "batchrun/ingest/read/sse_stream.hpp"

namespace batchrun::ingest {

// A batch none of whose runs the view holds may still exist: `events` knows a batch whose every item
// named an existing run (BatchEvents::emptyBatch).
// Run reads (which may fetch records from Kafka) are answered from `reads`, off the HTTP threads.
// A run or batch the views do not hold is looked for again once they caught up (`catch_up`).
void addReadRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, const RunView& view,
                   const BatchEvents& events, SseHub& sse, ReadPool& reads, CatchUp& catch_up);

// The public JSON of a run: appendRunFields plus batch_id, next_attempt_at and the record version.
std::string runJson(const Run& run);
std::string batchJson(const BatchTotals& batch);

}  // namespace batchrun::ingest
