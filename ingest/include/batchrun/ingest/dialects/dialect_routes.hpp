#pragma once
// The seed-API dialects served beside /v1 (docs/compat.md): Polos (compat_polos), Extend
// (compat_extend) and Upstash Workflow (compat_upstash). Each is a thin adapter: it parses its own
// request shape into RunItems, submits them through submitRuns() (the /v1 write flow: same Kafka
// records, idempotency and answer-after-ack), reads through the RunView, and cancels with the same
// runs.control record as POST /v1/runs/{id}/cancel. Only request parsing, answer shapes, status
// names and error shapes differ. Handlers never throw into Pistache.
#include <pistache/router.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/read/catch_up.hpp"
#include "batchrun/ingest/read/read_pool.hpp"
#include "batchrun/ingest/read/run_view.hpp"
#include "batchrun/ingest/write/write_routes.hpp"

namespace batchrun::ingest {

// What the adapters use; owned by the App, outliving the endpoint.
struct CompatDeps {
  WriteDeps& write;
  const RunView& view;
  ReadPool& reads;  // run reads that may fetch from Kafka are served here, off the HTTP threads
  CatchUp& catch_up;  // a read that missed waits here for the view to catch up (catch_up.hpp)
  Producer& producer;
  const Topics& topics;
  const ApiKeys& keys() const { return write.config.api_keys; }
};

void addCompatRoutes(Pistache::Rest::Router& router, CompatDeps& deps);
void addPolosRoutes(Pistache::Rest::Router& router, CompatDeps& deps);
void addExtendRoutes(Pistache::Rest::Router& router, CompatDeps& deps);
void addUpstashRoutes(Pistache::Rest::Router& router, CompatDeps& deps);

// --- shared by the adapters (dialect_common.cpp) ---

// 415 (not JSON) and 413 (over the body limit) in the dialect's error shape; true when the body passes.
bool admitBody(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& rw, CompatDeps& deps,
               const ErrorReplier& reply);

// Asks the run's owner to cancel it (the runs.control record POST /v1/runs/{id}/cancel writes),
// waiting for Kafka's acknowledgement. The run must not be terminal and must know its partition.
Status requestCancel(CompatDeps& deps, const Run& run);

// --- reads and cancels by id (dialect_reads.cpp): a miss is a 404 only after the view caught up
// with Kafka, as on /v1 (catch_up.hpp); a view still behind at the deadline is a 503 in `err`'s shape.

using RunReply = std::function<void(Pistache::Http::ResponseWriter&, const Result<std::optional<Run>>&)>;
using PageReply = std::function<void(Pistache::Http::ResponseWriter&, const Result<RunPage>&)>;
// A run by id; `reply` gets the last look's result (nullopt: not found after catching up).
void readRun(CompatDeps& deps, std::string project, std::string id, Pistache::Http::ResponseWriter rw, RunReply reply,
             ErrorReplier err, Look look = Look::kFirst);
// A list; a batch the view does not hold (query.batch_id) is looked for again first.
void listRuns(CompatDeps& deps, std::string project, RunQuery query, Pistache::Http::ResponseWriter rw,
              PageReply reply, ErrorReplier err, Look look = Look::kFirst);
// The run a cancel is for, as `find` sees it in the view: unless the view shows it ended, `then`
// gets it once the view caught up (it may have started or ended a moment ago, or be unknown yet).
void cancelTarget(CompatDeps& deps, std::function<std::optional<Run>(const RunView&)> find,
                  Pistache::Http::ResponseWriter rw,
                  std::function<void(Pistache::Http::ResponseWriter&, const std::optional<Run>&)> then, ErrorReplier err,
                  Look look = Look::kFirst);

// The answer to a full read queue (ReadPool::answer's `busy`): a 503 in the dialect's shape.
std::function<void(Pistache::Http::ResponseWriter&)> busyReply(ErrorReplier reply);

// Runs f; an exception becomes a 500 in the dialect's shape if nothing was sent yet.
void guardedCompat(Pistache::Http::ResponseWriter& rw, const ErrorReplier& reply, const std::function<void()>& f);

// RFC 3339 text or JSON null, for optional timestamps (0 = none).
void appendTimeOrNull(std::string& out, int64_t ms);
// A raw JSON value or null when empty.
void appendRawOrNull(std::string& out, const std::string& raw);
// "details":[{"index"?, "field", "message"}] (the item index and field of each problem).
void appendDetails(std::string& out, const std::vector<FieldError>& details);
// A string member of a raw JSON object (metadata), if present.
std::optional<std::string> metadataString(const std::string& metadata, const char* name);

}  // namespace batchrun::ingest
