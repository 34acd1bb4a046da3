// Upstash routes (dialects/upstash.hpp): run-id dedup against the RunView, then the shared write flow.
#include <map>
#include <memory>
#include <unordered_map>

#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/http/request_edge.hpp"
#include "batchrun/ingest/read/run_query.hpp"

namespace batchrun::ingest {

namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using Pistache::Rest::Route;

void upstashReply(ResponseWriter& rw, Code code, std::string_view, std::string_view message,
                  const std::vector<FieldError>& details, int retry_after_s) {
  if (retry_after_s > 0) addHeader(rw, "Retry-After", std::to_string(retry_after_s));
  replyJson(rw, code, upstashErrorBody(message, details));
}

const ErrorReplier kUpstashReply = upstashReply;

// Bearer key, or the key in ?qstash_token= (for clients that cannot set headers).
std::optional<std::string> upstashProject(const Request& req, ResponseWriter& rw, CompatDeps& deps) {
  auto project = authenticate(deps.keys(), req);
  if (!project && req.query().has("qstash_token")) {
    project = deps.keys().projectForKey(percentDecode(*req.query().get("qstash_token")));
  }
  if (!project) {
    deps.write.metrics.rejected(Rejection::kUnauthorized).inc();
    upstashReply(rw, Code::Unauthorized, "", "Unauthorized: a valid bearer token or qstash_token is required", {}, 0);
  }
  return project;
}

// Where each request item's answer comes from.
struct Slot {
  std::string workflow_run_id;  // custom id, or empty: "wfr_" + the run id
  std::string url;              // the item's destination
  int run = -1;                 // index into the submitted runs, or -1
  int64_t existing_created_at = 0;  // deduplicated against a run already in the view
  std::string existing_run_id;      // likewise
};

// /v2/batch/trigger: {workflowRunId, workflowCreatedAt, deduplicated}. /v2/batch (QStash's publish
// answer, of which the SDK reads `deduplicated`): {messageId, url, deduplicated}, plus the two
// workflow fields; the message is the run, so messageId is its batchrun run id.
void appendAnswer(std::string& out, UpstashEndpoint endpoint, const Slot& s, const std::string& id,
                  const std::string& run_id, int64_t created_at, bool deduplicated) {
  out += '{';
  if (endpoint == UpstashEndpoint::kQStashBatch) {
    out += "\"messageId\":";
    json::appendString(out, run_id);
    out += ",\"url\":";
    json::appendString(out, s.url);
    out += ',';
  }
  out += "\"workflowRunId\":";
  json::appendString(out, id);
  out += ",\"workflowCreatedAt\":" + std::to_string(created_at) + ",\"deduplicated\":";
  out += deduplicated ? "true}" : "false}";
}

// `existing[r]`: submitted run r turned out to exist already (the write flow's own per-item check,
// for a run created between the lookup here and that check).
std::string answer(UpstashEndpoint endpoint, const std::vector<Slot>& slots, const std::vector<int>& first_of,
                   const std::vector<Run>& runs, const std::vector<bool>& existing) {
  std::string out = "[";
  for (size_t i = 0; i < slots.size(); ++i) {
    if (i) out += ',';
    const Slot& s = slots[i];
    if (s.run < 0 && first_of[i] < 0) {
      appendAnswer(out, endpoint, s, s.workflow_run_id, s.existing_run_id, s.existing_created_at, true);
      continue;
    }
    const bool repeat = first_of[i] >= 0;  // same custom id earlier in this request
    const auto run = static_cast<size_t>(repeat ? slots[static_cast<size_t>(first_of[i])].run : s.run);
    const Run& r = runs[run];
    const bool deduplicated = repeat || (run < existing.size() && existing[run]);
    appendAnswer(out, endpoint, s, s.workflow_run_id.empty() ? "wfr_" + r.run_id : s.workflow_run_id, r.run_id,
                 r.created_at, deduplicated);
  }
  return out + "]";
}

void trigger(CompatDeps& d, const Request& req, ResponseWriter& rw, std::string project, UpstashBatch parsed,
             UpstashEndpoint endpoint) {
  const size_t n = parsed.items.size();
  std::vector<Slot> slots(n);
  std::vector<int> first_of(n, -1);
  std::unordered_map<std::string, size_t> seen;
  std::vector<RunItem> items;
  struct Extra {
    std::string headers, failure_callback, failure_callback_headers, workflow_run_id;
    int parallelism;
  };
  std::vector<Extra> extras;
  for (size_t i = 0; i < n; ++i) {
    UpstashItem& u = parsed.items[i];
    Slot& s = slots[i];
    s.workflow_run_id = u.workflow_run_id;
    s.url = u.item.destination;
    if (!u.workflow_run_id.empty()) {
      if (auto [it, fresh] = seen.emplace(u.workflow_run_id, i); !fresh) {
        first_of[i] = static_cast<int>(it->second);
        continue;
      }
      // A run id whose run exists is not started again (Upstash's dedup by workflowRunId).
      if (auto existing = findUpstashRun(d.view, project, u.workflow_run_id)) {
        s.existing_created_at = existing->created_at;
        s.existing_run_id = existing->run_id;
        continue;
      }
    }
    s.run = static_cast<int>(items.size());
    items.push_back(std::move(u.item));
    extras.push_back({std::move(u.headers), std::move(u.failure_callback), std::move(u.failure_callback_headers),
                      u.workflow_run_id, u.parallelism});
  }
  // A repeated id points at its first occurrence; if that was deduplicated, so is the repeat.
  for (size_t i = 0; i < n; ++i) {
    if (first_of[i] >= 0 && slots[static_cast<size_t>(first_of[i])].run < 0) {
      slots[i].existing_created_at = slots[static_cast<size_t>(first_of[i])].existing_created_at;
      slots[i].existing_run_id = slots[static_cast<size_t>(first_of[i])].existing_run_id;
      first_of[i] = -1;
    }
  }
  // QStash answers a batch 200, /v2/batch/trigger 201.
  const Code success = endpoint == UpstashEndpoint::kQStashBatch ? Code::Ok : Code::Created;
  if (items.empty()) {
    replyJson(rw, success, answer(endpoint, slots, first_of, {}, {}));
    return;
  }
  WriteDialect dialect;
  dialect.route = endpoint == UpstashEndpoint::kQStashBatch ? "POST /v2/batch" : "POST /v2/batch/trigger";
  dialect.is_batch = true;
  dialect.success_code = success;
  dialect.success_body = [endpoint, slots, first_of](const std::vector<Run>& runs, const std::string&, int64_t,
                                                     const std::vector<bool>& existing) {
    return answer(endpoint, slots, first_of, runs, existing);
  };
  dialect.reply_error = kUpstashReply;
  dialect.adjust = [extras = std::move(extras)](std::vector<Run>& runs) {
    for (size_t i = 0; i < runs.size() && i < extras.size(); ++i) {
      runs[i].headers = extras[i].headers;  // Upstash-Forward-*: sent to the worker with the run
      runs[i].failure_callback = extras[i].failure_callback;
      if (!runs[i].failure_callback.empty()) {
        // The dispatcher's failure callback names the run as the client knows it.
        runs[i].failure_callback_headers = extras[i].failure_callback_headers;
        runs[i].external_id = extras[i].workflow_run_id.empty() ? "wfr_" + runs[i].run_id : extras[i].workflow_run_id;
      }
      if (extras[i].parallelism > 0) runs[i].queue_limit = extras[i].parallelism;
    }
  };
  submitRuns(d.write, req, rw, std::move(project), std::move(items), std::move(dialect));
}

// The runs `ids` name, as the view sees them: unless every one is there and has ended, looked at
// again once the view caught up (a run triggered a moment ago, or through another instance, is not
// missed). Unknown and finished runs are skipped; the answer counts the runs a cancel was recorded for.
void bulkCancel(CompatDeps& d, std::string project, std::vector<std::string> ids, ResponseWriter rw, Look look) {
  std::vector<Run> open;
  bool missing = false, look_again = false;
  for (const auto& id : ids) {
    auto run = findUpstashRun(d.view, project, id);
    missing = missing || !run;
    look_again = look_again || !run || !isTerminal(run->status);
    if (run && !isTerminal(run->status)) open.push_back(std::move(*run));
  }
  if (look == Look::kFirst && look_again) {
    auto sync = [&view = d.view](std::function<void()> done) { view.syncThen(std::move(done)); };
    return lookAgain(d.catch_up, d.reads, sync, rw,
                     [&d, project, ids](ResponseWriter& again, Look l) { bulkCancel(d, project, ids, std::move(again), l); },
                     busyReply(kUpstashReply));
  }
  if (missing && look == Look::kBehind) {
    return upstashReply(rw, Code::Service_Unavailable, "", "the read view is behind Kafka; retry", {}, 1);
  }
  // Nothing is cancelled unless every open run can be: a retry then cancels them all.
  for (const Run& run : open) {
    if (run.partition < 0) {
      return upstashReply(rw, Code::Service_Unavailable, "", "workflow run not routable yet; retry", {}, 1);
    }
  }
  int cancelled = 0;
  for (const Run& run : open) {
    if (auto st = requestCancel(d, run); !st) {
      // The ones before are recorded; cancelling them again on a retry is harmless.
      return upstashReply(rw, Code::Service_Unavailable, "", st.error().message, {}, d.write.config.retry_after_s);
    }
    ++cancelled;
  }
  replyJson(rw, Code::Ok, "{\"cancelled\":" + std::to_string(cancelled) + "}");
}

}  // namespace

void addUpstashRoutes(Pistache::Rest::Router& router, CompatDeps& deps) {
  using namespace Pistache::Rest;
  CompatDeps* d = &deps;
  const RunRequestLimits limits{deps.write.config.max_batch_items, deps.write.config.max_item_bytes};

  auto post = [d, limits](UpstashEndpoint endpoint) {
    return [d, limits, endpoint](const Request& req, ResponseWriter rw) {
      guardedCompat(rw, kUpstashReply, [&] {
        auto project = upstashProject(req, rw, *d);
        if (!project || !admitBody(req, rw, *d, kUpstashReply)) return;
        auto parsed = parseUpstashBatch(req.body(), limits, endpoint);
        if (!parsed.errors.empty()) {
          d->write.metrics.rejected(Rejection::kInvalid).inc();
          upstashReply(rw, Code::Bad_Request, "", parsed.errors.front().field + " " + parsed.errors.front().message,
                       parsed.errors, 0);
          return;
        }
        trigger(*d, req, rw, std::move(*project), std::move(parsed), endpoint);
      });
      return Route::Result::Ok;
    };
  };
  Routes::Post(router, "/v2/batch/trigger", post(UpstashEndpoint::kBatchTrigger));
  Routes::Post(router, "/v2/batch", post(UpstashEndpoint::kQStashBatch));

  // client.cancel(ids) of @upstash/workflow (one id or many: it always uses this bulk form).
  Routes::Delete(router, "/v2/workflows/runs", [d](const Request& req, ResponseWriter rw) {
    guardedCompat(rw, kUpstashReply, [&] {
      auto project = upstashProject(req, rw, *d);
      if (!project) return;
      const std::map<std::string, std::string> query(req.query().parameters_begin(), req.query().parameters_end());
      auto parsed = parseUpstashCancel(query, req.body());
      if (!parsed.errors.empty()) {
        d->write.metrics.rejected(Rejection::kInvalid).inc();
        upstashReply(rw, Code::Bad_Request, "", parsed.errors.front().field + " " + parsed.errors.front().message,
                     parsed.errors, 0);
        return;
      }
      bulkCancel(*d, std::move(*project), std::move(parsed.workflow_run_ids), std::move(rw), Look::kFirst);
    });
    return Route::Result::Ok;
  });

  Routes::Delete(router, "/v2/workflows/runs/:id", [d](const Request& req, ResponseWriter rw) {
    guardedCompat(rw, kUpstashReply, [&] {
      auto project = upstashProject(req, rw, *d);
      if (!project) return;
      auto id = req.param(":id").as<std::string>();
      auto find = [project = *project, id](const RunView& view) { return findUpstashRun(view, project, id); };
      cancelTarget(*d, find, std::move(rw), [d, id](ResponseWriter& w, const std::optional<Run>& run) {
        if (!run) return upstashReply(w, Code::Not_Found, "", "workflow run " + id + " not found", {}, 0);
        if (isTerminal(run->status)) {
          return upstashReply(w, Code::Bad_Request, "",
                              "workflow run " + id + " is already " + std::string(toString(run->status)), {}, 0);
        }
        if (run->partition < 0) return upstashReply(w, Code::Service_Unavailable, "", "run not routable yet", {}, 1);
        if (auto st = requestCancel(*d, *run); !st) {
          return upstashReply(w, Code::Service_Unavailable, "", st.error().message, {}, d->write.config.retry_after_s);
        }
        replyJson(w, Code::Ok, "{}");
      }, kUpstashReply);
    });
    return Route::Result::Ok;
  });

  // Any other method or path under /v2/: Upstash's error shape instead of Pistache's text/plain.
  // A custom handler runs only when no route matched, before Pistache's own 405.
  router.addCustomHandler([](const Request& req, ResponseWriter rw) {
    auto allowed = upstashAllowedMethods(req.resource());
    if (!allowed) return Route::Result::Failure;  // not Upstash's: the next handler or Pistache's answer
    guardedCompat(rw, kUpstashReply, [&] {
      if (allowed->empty()) {
        return upstashReply(rw, Code::Not_Found, "",
                            "no route " + req.resource() + " in the Upstash API batchrun serves", {}, 0);
      }
      addHeader(rw, "Allow", *allowed);
      upstashReply(rw, Code::Method_Not_Allowed, "",
                   std::string(Pistache::Http::methodString(req.method())) + " is not allowed on " + req.resource() +
                       "; allowed: " + *allowed,
                   {}, 0);
    });
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
