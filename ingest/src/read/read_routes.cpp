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

// The second look at the deadline still missed: the view is behind, not the thing missing.
void behind(ResponseWriter& rw) {
  replyFor(rw, Error::unavailable("the read view is behind Kafka; try again"));
}

// A batch by id: the view's totals, or those of a batch whose every item named an existing run.
std::optional<BatchTotals> findBatch(const RunView& view, const BatchEvents& events, const std::string& project,
                                     const std::string& id) {
  auto batch = view.batch(project, id);
  if (!batch) batch = emptyBatch(events, project, id);
  return batch;
}

// Reads that name a run or a batch answer 404 only after a second look (catch_up.hpp).
struct Reads : std::enable_shared_from_this<Reads> {
  Reads(const RunView& v, const BatchEvents& e, SseHub& h, ReadPool& p, CatchUp& c)
      : view(v), events(e), sse(h), pool(p), catch_up(c) {}

  const RunView& view;
  const BatchEvents& events;
  SseHub& sse;
  ReadPool& pool;
  CatchUp& catch_up;

  // Both views a batch read consults: the runs and, for batches of existing runs, the event log.
  CatchUp::Sync runsSync() const {
    return [self = shared_from_this()](std::function<void()> done) { self->view.syncThen(std::move(done)); };
  }
  CatchUp::Sync batchSync() const {
    return [self = shared_from_this()](std::function<void()> done) {
      self->view.syncThen([self, done = std::move(done)]() mutable { self->events.syncThen(std::move(done)); });
    };
  }

  void run(std::string project, std::string id, ResponseWriter rw, Look look) {
    auto reply = [self = shared_from_this(), project, id, look](ResponseWriter& w,
                                                               const Result<std::optional<Run>>& found) {
      if (!found) return replyFor(w, found.error());  // Kafka did not answer: 503
      if (*found) return replyJson(w, Code::Ok, runJson(**found));
      if (look == Look::kFirst) {
        return lookAgain(self->catch_up, self->pool, self->runsSync(), w,
                         [self, project, id](ResponseWriter& again, Look l) {
                           self->run(project, id, std::move(again), l);
                         },
                         busy);
      }
      if (look == Look::kBehind) return behind(w);
      replyError(w, Code::Not_Found, "not_found", "no run " + id);
    };
    pool.answer<std::optional<Run>>(std::move(rw), view.getNow(project, id),
                                    [self = shared_from_this(), project, id] { return self->view.get(project, id); }, reply, busy);
  }

  void list(std::string project, RunQuery query, ResponseWriter rw, Look look) {
    // Every run of a batch is indexed at once (one runs.index record a request): a batch the view
    // knows is complete, one it does not know may be behind.
    if (look == Look::kFirst && !query.batch_id.empty() && !findBatch(view, events, project, query.batch_id)) {
      return lookAgain(catch_up, pool, batchSync(), rw,
                       [self = shared_from_this(), project, query](ResponseWriter& w, Look l) {
                         self->list(project, query, std::move(w), l);
                       },
                       busy);
    }
    if (look == Look::kBehind && !findBatch(view, events, project, query.batch_id)) return behind(rw);
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
    pool.answer<RunPage>(std::move(rw), view.listNow(project, query),
                         [self = shared_from_this(), project, query] { return self->view.list(project, query); }, answer, busy);
  }

  // Batch totals and SSE need no Kafka read: the second look answers from memory.
  void batch(std::string project, std::string id, ResponseWriter rw, Look look) {
    auto found = findBatch(view, events, project, id);
    if (found) return replyJson(rw, Code::Ok, batchJson(*found));
    if (look == Look::kFirst) {
      return lookAgain(catch_up, pool, batchSync(), rw,
                       [self = shared_from_this(), project, id](ResponseWriter& w, Look l) {
                         self->batch(project, id, std::move(w), l);
                       }, busy);
    }
    if (look == Look::kBehind) return behind(rw);
    replyError(rw, Code::Not_Found, "not_found", "no batch " + id);
  }

  void stream(std::string project, std::string id, std::string last_id, ResponseWriter rw, Look look) {
    if (findBatch(view, events, project, id)) return sse.open(id, std::move(last_id), std::move(rw));
    if (look == Look::kFirst) {
      return lookAgain(catch_up, pool, batchSync(), rw,
                       [self = shared_from_this(), project, id, last_id](ResponseWriter& w, Look l) {
                         self->stream(project, id, last_id, std::move(w), l);
                       },
                       busy);
    }
    if (look == Look::kBehind) return behind(rw);
    replyError(rw, Code::Not_Found, "not_found", "no batch " + id);
  }
};

}  // namespace

void addReadRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, const RunView& view,
                   const BatchEvents& events, SseHub& sse, ReadPool& reads, CatchUp& catch_up) {
  using namespace Pistache::Rest;
  // Lives as long as the routes (the router's handlers hold it).
  auto r = std::make_shared<Reads>(view, events, sse, reads, catch_up);

  Routes::Get(router, "/v1/runs/:run_id", [&keys, r](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    r->run(*project, req.param(":run_id").as<std::string>(), std::move(rw), Look::kFirst);
    return Route::Result::Ok;
  });

  Routes::Get(router, "/v1/runs", [&keys, r](const Request& req, ResponseWriter rw) {
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
    r->list(*project, std::move(parsed.query), std::move(rw), Look::kFirst);
    return Route::Result::Ok;
  });

  Routes::Get(router, "/v1/batches/:batch_id", [&keys, r](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    r->batch(*project, canonicalBatchId(req.param(":batch_id").as<std::string>()), std::move(rw), Look::kFirst);
    return Route::Result::Ok;
  });

  Routes::Get(router, "/v1/batches/:batch_id/events", [&keys, r](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    std::string last_id;
    if (auto h = req.headers().tryGetRaw("Last-Event-ID")) last_id = h->value();
    r->stream(*project, canonicalBatchId(req.param(":batch_id").as<std::string>()), std::move(last_id), std::move(rw),
              Look::kFirst);
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
