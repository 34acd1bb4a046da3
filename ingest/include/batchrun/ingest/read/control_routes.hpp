#pragma once
// Requests that reach a run's owner through runs.control (partition = the run's Run::partition,
// key = run id, so the dispatcher that owns the run reads them in order with its state):
//   POST /v1/runs/{id}/cancel, POST /v1/batches/{id}/cancel → 202; a terminal run → 409 naming its status.
//   POST /v1/runs/{id}/result → 202: an async worker's result after it answered 202 (again 202 for
//   the result the run ended with; 409 for a run not started, an attempt that is over, another result).
// Each answers only after the control records are acknowledged by Kafka.
#include <pistache/router.h>

#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/records/control.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/read/batch_events.hpp"
#include "batchrun/ingest/read/catch_up.hpp"
#include "batchrun/ingest/read/read_pool.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

// `events` answers for a batch whose every item named an existing run (nothing of its own to cancel).
// A run or batch the view does not hold, or holds as not yet started, is looked at again once the
// view caught up (`catch_up`; second looks run on `reads`). Posting a result its run already ended
// with is answered 202 again; a result for an attempt that is over is a 409.
void addControlRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, const RunView& view,
                      const BatchEvents& events, Producer& producer, Topics topics, ReadPool& reads,
                      CatchUp& catch_up);

// Strict parser of a result body {status: "completed"|"failed", output?, error?: {code, message},
// attempt?}; every problem names its field. Fills the result fields of `out`.
std::vector<FieldError> parseResultBody(std::string_view body, ControlMessage& out);

// Produces every message and waits for all their acknowledgements (one counter, no per-record wait).
Status produceAll(Producer& producer, std::vector<OutMessage> messages, int timeout_ms = 30000);

}  // namespace batchrun::ingest
