// Extend routes (dialects/extend.hpp): the shared write flow (priority 90 unless the request sets
// one), reads from the RunView, cancels with the runs.control record of POST /v1/runs/{id}/cancel.
#include <map>

#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/extend.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/http/request_edge.hpp"
#include "batchrun/ingest/read/run_query.hpp"
#include "batchrun/ingest/write/workflow_check.hpp"

namespace batchrun::ingest {

namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using Pistache::Rest::Route;

bool legacyRequest(const Request& req) {
  auto v = rawHeader(req, "x-extend-api-version");
  return v && extendLegacy(*v);
}

ErrorReplier extendReply(bool legacy) {
  return [legacy](ResponseWriter& rw, Code code, std::string_view, std::string_view message,
                  const std::vector<FieldError>& details, int retry_after_s) {
    if (retry_after_s > 0) addHeader(rw, "Retry-After", std::to_string(retry_after_s));
    replyJson(rw, code, extendErrorBody(legacy, static_cast<int>(code), message, details));
  };
}

std::optional<std::string> extendProject(const Request& req, ResponseWriter& rw, CompatDeps& deps,
                                         const ErrorReplier& reply) {
  auto project = authenticate(deps.keys(), req);
  if (!project) {
    deps.write.metrics.rejected(Rejection::kUnauthorized).inc();
    addHeader(rw, "WWW-Authenticate", "Bearer");
    reply(rw, Code::Unauthorized, "", "a valid 'Authorization: Bearer <api key>' header is required", {}, 0);
  }
  return project;
}

// The run object with what the project's workflow registration says (dialects/extend.hpp).
std::string runJson(const CompatDeps& deps, const std::string& project, const Run& run, bool cancelling = false) {
  const auto workflow = deps.write.workflows.get(project, run.workflow_id);
  return extendRunJson(run, {workflow ? &*workflow : nullptr, cancelling});
}

WriteDialect extendDialect(bool legacy) {
  WriteDialect d;
  d.route = "POST /workflow_runs/batch";
  d.is_batch = true;
  d.success_code = Code::Ok;
  d.success_body = [legacy](const std::vector<Run>&, const std::string& batch_id, int64_t, const std::vector<bool>&) {
    std::string out = legacy ? "{\"success\":true,\"batchId\":" : "{\"batchId\":";
    json::appendString(out, batch_id);
    return out + "}";
  };
  d.reply_error = extendReply(legacy);
  // One workflow for the whole batch, and no destination: one problem, on the request's field.
  d.unregistered_workflow = [legacy](int, const std::string& workflow_id) {
    return FieldError{-1, legacy ? "workflowId" : "workflow.id", unregisteredWorkflowMessage(workflow_id, {})};
  };
  return d;
}

// The answer to a read of one run (GET /workflow_runs/{id}, and a cancel's answer).
RunReply runReply(CompatDeps& deps, std::string project, std::string id, bool legacy, ErrorReplier reply,
                  bool cancelling) {
  return [&deps, project = std::move(project), id = std::move(id), legacy, reply = std::move(reply), cancelling](
             ResponseWriter& w, const Result<std::optional<Run>>& found) {
    if (!found) return reply(w, Code::Service_Unavailable, "", found.error().message, {}, 1);
    const auto& run = *found;
    if (!run) return reply(w, Code::Not_Found, "", "workflow run " + id + " not found", {}, 0);
    const std::string body = runJson(deps, project, *run, cancelling);
    replyJson(w, Code::Ok, legacy ? "{\"success\":true,\"workflowRun\":" + body + "}" : body);
  };
}

}  // namespace

void addExtendRoutes(Pistache::Rest::Router& router, CompatDeps& deps) {
  using namespace Pistache::Rest;
  CompatDeps* d = &deps;
  const RunRequestLimits limits{deps.write.config.max_batch_items, deps.write.config.max_item_bytes};

  Routes::Post(router, "/workflow_runs/batch", [d, limits](const Request& req, ResponseWriter rw) {
    const bool legacy = legacyRequest(req);
    const ErrorReplier reply = extendReply(legacy);
    guardedCompat(rw, reply, [&] {
      auto project = extendProject(req, rw, *d, reply);
      if (!project || !admitBody(req, rw, *d, reply)) return;
      auto parsed = parseExtendBatch(req.body(), legacy, limits);
      if (!parsed.errors.empty()) {
        d->write.metrics.rejected(Rejection::kInvalid).inc();
        reply(rw, Code::Bad_Request, "", parsed.errors.front().field + " " + parsed.errors.front().message,
              parsed.errors, 0);
        return;
      }
      submitRuns(d->write, req, rw, std::move(*project), std::move(parsed.items), extendDialect(legacy));
    });
    return Route::Result::Ok;
  });

  Routes::Get(router, "/workflow_runs", [d](const Request& req, ResponseWriter rw) {
    const bool legacy = legacyRequest(req);
    const ErrorReplier reply = extendReply(legacy);
    guardedCompat(rw, reply, [&] {
      auto project = extendProject(req, rw, *d, reply);
      if (!project) return;
      std::map<std::string, std::string> params(req.query().parameters_begin(), req.query().parameters_end());
      auto parsed = parseExtendList(params);
      if (!parsed.errors.empty()) {
        reply(rw, Code::Bad_Request, "", parsed.errors.front().field + " " + parsed.errors.front().message,
              parsed.errors, 0);
        return;
      }
      auto answer = [d, reply, legacy, project = *project](ResponseWriter& w, const Result<RunPage>& listed) {
        if (!listed) return reply(w, Code::Service_Unavailable, "", listed.error().message, {}, 1);
        const RunPage& page = *listed;
        std::string out = legacy ? "{\"success\":true,\"workflowRuns\":[" : "{\"object\":\"list\",\"data\":[";
        for (size_t i = 0; i < page.runs.size(); ++i) {
          if (i) out += ',';
          out += runJson(*d, project, page.runs[i]);
        }
        out += "],\"nextPageToken\":";
        if (page.last_run_id.empty()) out += "null"; else json::appendString(out, encodeCursor(page.last_run_id));
        out += '}';
        replyJson(w, Code::Ok, out);
      };
      listRuns(*d, *project, parsed.query, std::move(rw), answer, reply);
    });
    return Route::Result::Ok;
  });

  Routes::Get(router, "/workflow_runs/:id", [d](const Request& req, ResponseWriter rw) {
    const bool legacy = legacyRequest(req);
    const ErrorReplier reply = extendReply(legacy);
    guardedCompat(rw, reply, [&] {
      auto project = extendProject(req, rw, *d, reply);
      if (!project) return;
      auto id = req.param(":id").as<std::string>();
      readRun(*d, *project, id, std::move(rw), runReply(*d, *project, id, legacy, reply, false), reply);
    });
    return Route::Result::Ok;
  });

  Routes::Post(router, "/workflow_runs/:id/cancel", [d](const Request& req, ResponseWriter rw) {
    const bool legacy = legacyRequest(req);
    const ErrorReplier reply = extendReply(legacy);
    guardedCompat(rw, reply, [&] {
      auto project = extendProject(req, rw, *d, reply);
      if (!project) return;
      const auto id = req.param(":id").as<std::string>();
      // The index knows all a cancel needs (status, partition): no Kafka read until the answer.
      auto find = [project = *project, id](const RunView& view) { return view.summary(project, id); };
      auto then = [d, legacy, reply, project = *project, id](ResponseWriter& w, const std::optional<Run>& run) {
        if (!run) return reply(w, Code::Not_Found, "", "workflow run " + id + " not found", {}, 0);
        if (isTerminal(run->status)) {
          return reply(w, Code::Bad_Request, "",
                       std::string("workflow run is already ") + extendStatus(run->status) +
                           "; only PENDING or PROCESSING runs can be cancelled",
                       {{-1, "status", extendStatus(run->status)}}, 0);
        }
        if (run->partition < 0) {
          return reply(w, Code::Service_Unavailable, "", "workflow run is not routable yet; retry", {}, 1);
        }
        if (auto st = requestCancel(*d, *run); !st) {
          return reply(w, Code::Service_Unavailable, "", st.error().message, {}, d->write.config.retry_after_s);
        }
        // Extend answers the run: read in full, CANCELLING until the dispatcher has stopped it.
        readRun(*d, project, id, std::move(w), runReply(*d, project, id, legacy, reply, true), reply);
      };
      cancelTarget(*d, find, std::move(rw), then, reply);
    });
    return Route::Result::Ok;
  });

  // Any other method or path under /workflow_runs: Extend's error shape instead of Pistache's
  // text/plain. A custom handler runs only when no route matched, before Pistache's own 405.
  router.addCustomHandler([](const Request& req, ResponseWriter rw) {
    auto allowed = extendAllowedMethods(req.resource());
    if (!allowed) return Route::Result::Failure;  // not Extend's: the next handler or Pistache's answer
    const ErrorReplier reply = extendReply(legacyRequest(req));
    guardedCompat(rw, reply, [&] {
      if (allowed->empty()) {
        return reply(rw, Code::Not_Found, "", "no route " + req.resource() + " in the Extend API batchrun serves", {},
                     0);
      }
      addHeader(rw, "Allow", *allowed);
      reply(rw, Code::Method_Not_Allowed, "",
            std::string(Pistache::Http::methodString(req.method())) + " is not allowed on " + req.resource() +
                "; allowed: " + *allowed,
            {}, 0);
    });
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
