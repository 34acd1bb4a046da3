#include "batchrun/ingest/read/read_routes.hpp"

#include <map>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/read/run_query.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using Pistache::Rest::Route;

namespace {

void unauthorized(ResponseWriter& rw) {
  replyError(rw, Code::Unauthorized, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)");
}

void timeField(std::string& out, const char* key, int64_t ms) {
  json::appendKey(out, key);
  if (ms > 0) json::appendString(out, formatRfc3339(ms)); else out += "null";
}

}  // namespace

std::string runJson(const Run& run) {
  std::string out = "{";
  appendRunFields(out, run);
  timeField(out, "next_attempt_at", run.status == RunStatus::kRetrying ? run.next_attempt_at : 0);
  out += ",\"version\":" + std::to_string(run.version) + "}";
  return out;
}

std::string batchJson(const BatchTotals& b) {
  std::string out = "{\"batch_id\":";
  json::appendString(out, b.batch_id);
  out += ",\"total\":" + std::to_string(b.total) + ",\"counts\":{";
  for (int i = 0; i < 7; ++i) {
    if (i) out += ',';
    json::appendKey(out, toString(static_cast<RunStatus>(i)));
    out += std::to_string(b.counts[i]);
  }
  out += "},\"terminal\":" + std::to_string(b.terminal);
  char progress[32];
  std::snprintf(progress, sizeof progress, "%.4f", b.total ? static_cast<double>(b.terminal) / b.total : b.completed_at ? 1.0 : 0.0);
  out += ",\"progress\":";
  out += progress;
  out += ",\"status\":";
  json::appendString(out, b.completed_at ? "completed" : "in_progress");
  out += ',';
  timeField(out, "created_at", b.created_at);
  out += ',';
  timeField(out, "completed_at", b.completed_at);
  out += '}';
  return out;
}

namespace {

// The totals of a batch the view holds no run of, if it is one whose every item named an existing
// run (only its batch.completed exists: total 0, completed when it was accepted).
std::optional<BatchTotals> emptyBatch(const BatchEvents& events, const std::string& project, const std::string& id) {
  auto c = events.emptyBatch(project, id);
  if (!c) return std::nullopt;
  BatchTotals t;
  t.batch_id = id;
  t.created_at = c->created_at;
  t.completed_at = c->completed_at;
  return t;
}

void busy(ResponseWriter& rw) { replyFor(rw, Error::unavailable("too many reads waiting for Kafka")); }

}  // namespace

void addReadRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, const RunView& view,
                   const BatchEvents& events, SseHub& sse, ReadPool& reads) {
  using namespace Pistache::Rest;

  Routes::Get(router, "/v1/runs/:run_id", [&keys, &view, &reads](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    auto id = req.param(":run_id").as<std::string>();
    auto answer = [id](ResponseWriter& w, const Result<std::optional<Run>>& found) {
      if (!found) return replyFor(w, found.error());  // Kafka did not answer: 503
      const auto& run = *found;
      if (!run) return replyError(w, Code::Not_Found, "not_found", "no run " + id);
      replyJson(w, Code::Ok, runJson(*run));
    };
    reads.answer<std::optional<Run>>(std::move(rw), view.getNow(*project, id),
                                     [&view, project = *project, id] { return view.get(project, id); }, answer, busy);
    return Route::Result::Ok;
  });

  Routes::Get(router, "/v1/runs", [&keys, &view, &reads](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    std::map<std::string, std::string> params(req.query().parameters_begin(), req.query().parameters_end());
    auto parsed = parseRunQuery(params);
    if (!parsed.errors.empty()) {
      std::string names;
      for (const auto& e : parsed.errors) names += (names.empty() ? "" : ", ") + e.field;
      replyError(rw, Code::Bad_Request, "invalid_request", "invalid query parameter: " + names, parsed.errors);
      return Route::Result::Ok;
    }
    auto answer = [](ResponseWriter& w, const Result<RunPage>& listed) {
      if (!listed) return replyFor(w, listed.error());
      const RunPage& page = *listed;
      std::string out = "{\"runs\":[";
      for (size_t i = 0; i < page.runs.size(); ++i) {
        if (i) out += ',';
        out += runJson(page.runs[i]);
      }
      out += "],\"next_cursor\":";
      if (page.last_run_id.empty()) out += "null"; else json::appendString(out, encodeCursor(page.last_run_id));
      out += '}';
      replyJson(w, Code::Ok, out);
    };
    reads.answer<RunPage>(std::move(rw), view.listNow(*project, parsed.query),
                          [&view, project = *project, query = parsed.query] { return view.list(project, query); },
                          answer, busy);
    return Route::Result::Ok;
  });

  Routes::Get(router, "/v1/batches/:batch_id", [&keys, &view, &events](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    auto id = canonicalBatchId(req.param(":batch_id").as<std::string>());
    auto batch = view.batch(*project, id);
    if (!batch) batch = emptyBatch(events, *project, id);
    if (!batch) return replyError(rw, Code::Not_Found, "not_found", "no batch " + id), Route::Result::Ok;
    replyJson(rw, Code::Ok, batchJson(*batch));
    return Route::Result::Ok;
  });

  Routes::Get(router, "/v1/batches/:batch_id/events", [&keys, &view, &events, &sse](const Request& req,
                                                                                    ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    auto id = canonicalBatchId(req.param(":batch_id").as<std::string>());
    if (!view.batch(*project, id) && !events.emptyBatch(*project, id)) {
      return replyError(rw, Code::Not_Found, "not_found", "no batch " + id), Route::Result::Ok;
    }
    std::string last_id;
    if (auto h = req.headers().tryGetRaw("Last-Event-ID")) last_id = h->value();
    sse.open(id, std::move(last_id), std::move(rw));
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
