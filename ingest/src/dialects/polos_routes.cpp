// Polos routes (dialects/polos.hpp): authenticate + X-Project-ID, parse, then the shared write flow,
// the RunView and the shared cancel record; any other path or method under /api/v1 is a 404 or 405
// in Polos's error shape.
#include <memory>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/polos.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/http/request_edge.hpp"
#include "batchrun/ingest/write/workflow_check.hpp"

namespace batchrun::ingest {

namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using Pistache::Rest::Route;

void polosReply(ResponseWriter& rw, Code code, std::string_view /*error_code*/, std::string_view message,
                const std::vector<FieldError>& details, int retry_after_s) {
  if (retry_after_s > 0) addHeader(rw, "Retry-After", std::to_string(retry_after_s));
  replyJson(rw, code, polosErrorBody(static_cast<int>(code), message, details));
}

const ErrorReplier kPolosReply = polosReply;

// The caller's project: a valid bearer key (401) and an X-Project-ID naming that key's project
// (400 when missing, 403 when another project, as Polos answers).
std::optional<std::string> polosProject(const Request& req, ResponseWriter& rw, CompatDeps& deps) {
  auto project = authenticate(deps.keys(), req);
  if (!project) {
    deps.write.metrics.rejected(Rejection::kUnauthorized).inc();
    addHeader(rw, "WWW-Authenticate", "Bearer");
    polosReply(rw, Code::Unauthorized, "", "Invalid API key", {}, 0);
    return std::nullopt;
  }
  auto header = rawHeader(req, "X-Project-ID");
  if (!header) header = rawHeader(req, "Project-ID");
  if (!header || header->empty()) {
    polosReply(rw, Code::Bad_Request, "", "X-Project-ID header is required", {{-1, "X-Project-ID", "required"}}, 0);
    return std::nullopt;
  }
  if (*header != *project) {
    polosReply(rw, Code::Forbidden, "", "Access to project forbidden",
               {{-1, "X-Project-ID", "does not match the API key's project"}}, 0);
    return std::nullopt;
  }
  return project;
}

std::string submitAnswer(const Run& r) {
  std::string out = "{\"execution_id\":";
  json::appendString(out, r.run_id);
  out += ",\"created_at\":";
  json::appendString(out, formatRfc3339(r.created_at));
  out += '}';
  return out;
}

WriteDialect polosDialect(std::string route, bool is_batch, std::vector<int> queue_limits) {
  WriteDialect d;
  d.route = std::move(route);
  d.is_batch = is_batch;
  d.success_code = Code::Ok;  // Polos answers 200 to submissions
  d.success_body = [is_batch](const std::vector<Run>& runs, const std::string&, int64_t, const std::vector<bool>&) {
    if (!is_batch) return submitAnswer(runs.front());
    std::string out = "{\"executions\":[";
    for (size_t i = 0; i < runs.size(); ++i) {
      if (i) out += ',';
      out += submitAnswer(runs[i]);
    }
    return out + "]}";
  };
  d.reply_error = kPolosReply;
  // Polos requests have no destination: a workflow must be registered (through batchrun's /v1 API).
  d.unregistered_workflow = [is_batch](int index, const std::string& workflow_id) {
    return FieldError{is_batch ? index : -1,
                      is_batch ? "workflows[" + std::to_string(index) + "].workflow_id" : std::string("workflow_id"),
                      unregisteredWorkflowMessage(workflow_id, {})};
  };
  d.adjust = [limits = std::move(queue_limits)](std::vector<Run>& runs) {
    // queue_concurrency_limit caps running runs per concurrency key in the queue; the dispatcher
    // enforces Run.queue_limit, and a limited queue routes by its name (Run::routingKey).
    for (size_t i = 0; i < runs.size() && i < limits.size(); ++i) {
      if (limits[i] > 0) runs[i].queue_limit = limits[i];
    }
  };
  return d;
}

void submit(CompatDeps& deps, const Request& req, ResponseWriter& rw, std::string project, PolosRequest parsed,
            std::string route, bool is_batch) {
  if (!parsed.errors.empty()) {
    deps.write.metrics.rejected(Rejection::kInvalid).inc();
    polosReply(rw, Code::Bad_Request, "",
               "invalid request: " + parsed.errors.front().field + " " + parsed.errors.front().message, parsed.errors, 0);
    return;
  }
  submitRuns(deps.write, req, rw, std::move(project), std::move(parsed.items),
             polosDialect(std::move(route), is_batch, std::move(parsed.queue_limits)));
}


}  // namespace

void addPolosRoutes(Pistache::Rest::Router& router, CompatDeps& deps) {
  using namespace Pistache::Rest;
  CompatDeps* d = &deps;
  const RunRequestLimits limits{deps.write.config.max_batch_items, deps.write.config.max_item_bytes};

  Routes::Post(router, "/api/v1/workflows/batch_run", [d, limits](const Request& req, ResponseWriter rw) {
    guardedCompat(rw, kPolosReply, [&] {
      auto project = polosProject(req, rw, *d);
      if (!project || !admitBody(req, rw, *d, kPolosReply)) return;
      submit(*d, req, rw, std::move(*project), parsePolosBatch(req.body(), limits), "POST /api/v1/workflows/batch_run",
             true);
    });
    return Route::Result::Ok;
  });

  Routes::Post(router, "/api/v1/workflows/:workflow_id/run", [d, limits](const Request& req, ResponseWriter rw) {
    guardedCompat(rw, kPolosReply, [&] {
      auto project = polosProject(req, rw, *d);
      if (!project || !admitBody(req, rw, *d, kPolosReply)) return;
      auto workflow_id = req.param(":workflow_id").as<std::string>();
      submit(*d, req, rw, std::move(*project), parsePolosRun(req.body(), workflow_id, limits),
             "POST /api/v1/workflows/" + workflow_id + "/run", false);
    });
    return Route::Result::Ok;
  });

  Routes::Get(router, "/api/v1/executions/:id", [d](const Request& req, ResponseWriter rw) {
    guardedCompat(rw, kPolosReply, [&] {
      auto project = polosProject(req, rw, *d);
      if (!project) return;
      auto id = req.param(":id").as<std::string>();
      auto answer = [](ResponseWriter& w, const Result<std::optional<Run>>& run) {
        if (!run) return polosReply(w, Code::Service_Unavailable, "", run.error().message, {}, 1);
        if (!*run) return polosReply(w, Code::Not_Found, "", "Execution not found", {}, 0);
        replyJson(w, Code::Ok, polosExecutionJson(**run));
      };
      readRun(*d, *project, id, std::move(rw), answer, kPolosReply);
    });
    return Route::Result::Ok;
  });

  Routes::Post(router, "/api/v1/executions/:id/cancel", [d](const Request& req, ResponseWriter rw) {
    guardedCompat(rw, kPolosReply, [&] {
      auto project = polosProject(req, rw, *d);
      if (!project) return;
      // The index knows all a cancel needs (status, partition): no Kafka read.
      auto find = [project = *project, id = req.param(":id").as<std::string>()](const RunView& view) {
        return view.summary(project, id);
      };
      cancelTarget(*d, find, std::move(rw), [d](ResponseWriter& w, const std::optional<Run>& run) {
        if (!run) return polosReply(w, Code::Not_Found, "", "Execution not found", {}, 0);
        if (isTerminal(run->status)) {
          return polosReply(w, Code::Bad_Request, "", std::string("Execution is already ") + polosStatus(run->status),
                            {{-1, "status", polosStatus(run->status)}}, 0);
        }
        if (run->partition < 0) {
          return polosReply(w, Code::Service_Unavailable, "", "execution is not routable yet; retry", {}, 1);
        }
        if (auto st = requestCancel(*d, *run); !st) {
          return polosReply(w, Code::Service_Unavailable, "", st.error().message, {}, d->write.config.retry_after_s);
        }
        std::string out = "{\"execution_id\":";
        json::appendString(out, run->run_id);
        out += ",\"status\":\"cancelling\"}";
        replyJson(w, Code::Ok, out);
      }, kPolosReply);
    });
    return Route::Result::Ok;
  });

  // Any other method or path under /api/v1: Polos's error shape instead of Pistache's text/plain.
  // A custom handler runs only when no route matched (each gets its own clone of the writer).
  router.addCustomHandler([](const Request& req, ResponseWriter rw) {
    auto allowed = polosAllowedMethods(req.resource());
    if (!allowed) return Route::Result::Failure;  // not Polos's: the next handler or Pistache's answer
    guardedCompat(rw, kPolosReply, [&] {
      if (allowed->empty()) {
        return polosReply(rw, Code::Not_Found, "", "no route " + req.resource() + " in the Polos API batchrun serves",
                          {}, 0);
      }
      addHeader(rw, "Allow", *allowed);
      polosReply(rw, Code::Method_Not_Allowed, "",
                 std::string(Pistache::Http::methodString(req.method())) + " is not allowed on " + req.resource() +
                     "; allowed: " + *allowed,
                 {}, 0);
    });
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
