#include "batchrun/ingest/admin/workflow_routes.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/http/request_edge.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/kafka/submission.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;

std::vector<FieldError> parseWorkflowBody(std::string_view body, Workflow& out) {
  FieldErrors errors;
  rapidjson::Document doc;
  if (!parseObject(body, doc, errors)) return errors.take();
  bool has_endpoint = false;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const auto& v = m->value;
    // An optional field sent as null is absent: GET answers an unset timeout_seconds or
    // max_attempts as null, and a client copying those values sends null back.
    if (v.IsNull() &&
        (name == "concurrency_limit" || name == "timeout_seconds" || name == "max_attempts" || name == "queues")) {
      continue;
    }
    if (name == "endpoint") {
      has_endpoint = true;
      errors.url(-1, "endpoint", v, out.endpoint);
    } else if (name == "concurrency_limit") {
      errors.integer(-1, "concurrency_limit", v, 0, kMaxConcurrencyLimit, out.concurrency_limit);
    } else if (name == "timeout_seconds") {
      errors.integer(-1, "timeout_seconds", v, 1, kMaxTimeoutSeconds, out.timeout_seconds);
    } else if (name == "max_attempts") {
      errors.integer(-1, "max_attempts", v, 1, kMaxAttempts, out.max_attempts);
    } else if (name == "queues") {
      if (!v.IsObject()) {
        errors.add(-1, "queues", "must be an object of queue name → concurrency limit");
        continue;
      }
      for (auto q = v.MemberBegin(); q != v.MemberEnd(); ++q) {
        std::string qname(q->name.GetString(), q->name.GetStringLength());
        const std::string field = "queues." + qname;
        if (qname.empty() || characterCount(qname) > kMaxNameLength) {
          errors.add(-1, field, "queue names must be 1..255 characters");
          continue;
        }
        int limit = 0;
        if (errors.integer(-1, field, q->value, 1, kMaxConcurrencyLimit, limit)) out.queues[qname] = limit;
      }
    } else {
      errors.add(-1, std::string(name), "unknown field");
    }
  }
  if (!has_endpoint) errors.add(-1, "endpoint", "required: the worker URL runs are POSTed to");
  return errors.take();
}

std::string workflowJson(const Workflow& w) {
  std::string out = "{\"workflow_id\":";
  json::appendString(out, w.workflow_id);
  out += ",\"endpoint\":";
  json::appendString(out, w.endpoint);
  out += ",\"concurrency_limit\":" + std::to_string(w.concurrency_limit) + ",\"queues\":{";
  bool first = true;
  for (const auto& [name, limit] : w.queues) {
    if (!first) out += ',';
    first = false;
    json::appendString(out, name);
    out += ':' + std::to_string(limit);
  }
  out += "},\"timeout_seconds\":";
  out += w.timeout_seconds > 0 ? std::to_string(w.timeout_seconds) : "null";
  out += ",\"max_attempts\":";
  out += w.max_attempts > 0 ? std::to_string(w.max_attempts) : "null";
  out += ",\"created_at\":";
  json::appendString(out, formatRfc3339(w.created_at));
  out += ",\"updated_at\":";
  json::appendString(out, formatRfc3339(w.updated_at));
  out += '}';
  return out;
}

namespace {

class WorkflowHandler {
 public:
  WorkflowHandler(WorkflowDeps& d, const Pistache::Rest::Request& req, ResponseWriter& rw, RouteId route)
      : d_(d), req_(req), rw_(rw), route_(route), started_(steadyNowNs()) {}
  ~WorkflowHandler() { d_.metrics.latency(route_).observe(static_cast<double>(steadyNowNs() - started_) / 1e9); }
  WorkflowHandler(const WorkflowHandler&) = delete;
  WorkflowHandler& operator=(const WorkflowHandler&) = delete;

  void put();
  void get();
  void del();
  std::optional<Workflow> find();

 private:
  // Auth and the path's id; answers and returns false when either is wrong.
  bool admit(bool needs_body);
  // Produces one record of the workflows topic and waits for Kafka; answers 503 on failure.
  bool write(const std::string& value, int64_t& offset);

  WorkflowDeps& d_;
  const Pistache::Rest::Request& req_;
  ResponseWriter& rw_;
  const RouteId route_;
  const int64_t started_;
  std::string project_;
  std::string id_;
};

bool WorkflowHandler::admit(bool needs_body) {
  auto project = admitRequest(req_, rw_, {d_.config.api_keys, d_.config.max_body_bytes, needs_body}, d_.metrics);
  if (!project) return false;
  project_ = std::move(*project);
  id_ = decodePathParam(req_.param(":workflow_id").as<std::string>());
  if (auto problem = workflowIdProblem(id_)) {
    d_.metrics.rejected(Rejection::kInvalid).inc();
    replyError(rw_, Code::Bad_Request, "invalid_request", "the workflow id in the path is invalid",
               {{-1, "workflow_id", *problem}});
    return false;
  }
  return true;
}

bool WorkflowHandler::write(const std::string& value, int64_t& offset) {
  if (!d_.health.ok()) {
    d_.metrics.rejected(Rejection::kUnavailable).inc();
    replyError(rw_, Code::Service_Unavailable, "unavailable", "Kafka is unreachable; nothing was changed", {},
               d_.config.retry_after_s);
    return false;
  }
  auto report = d_.producer.produceSync(OutMessage{d_.topics.workflows, project_ + "/" + id_, value, {}},
                                        static_cast<int>(d_.config.service.kafka.message_timeout_ms));
  if (!report || !report->ok) {
    d_.metrics.rejected(Rejection::kUnavailable).inc();
    d_.health.noteDeliveryFailure();
    replyError(rw_, Code::Service_Unavailable, "unavailable",
               "Kafka did not acknowledge the change (" + (report ? report->error : report.error().message) +
                   "); retry: registrations are idempotent",
               {}, d_.config.retry_after_s);
    return false;
  }
  offset = report->offset;
  return true;
}

void WorkflowHandler::put() {
  if (!admit(true)) return;
  Workflow w;
  auto problems = parseWorkflowBody(req_.body(), w);
  if (!problems.empty()) {
    d_.metrics.rejected(Rejection::kInvalid).inc();
    replyError(rw_, Code::Bad_Request, "invalid_request",
               std::to_string(problems.size()) + " problem(s) in the workflow; nothing was changed", problems);
    return;
  }
  w.project = project_;
  w.workflow_id = id_;
  auto existing = d_.view.get(project_, id_);
  w.updated_at = d_.clock.nowMs();
  w.created_at = existing ? existing->created_at : w.updated_at;
  std::string value = encodeWorkflow(w);
  int64_t offset = -1;
  if (!write(value, offset)) return;
  d_.view.apply(w.key(), value, offset);  // read-your-writes before the follower reads it back
  replyJson(rw_, existing ? Code::Ok : Code::Created, workflowJson(w));
}

// The registration, looking again once the view caught up if it is not held; nullopt after an
// answer (404, or 503 when the view did not catch up in time).
std::optional<Workflow> WorkflowHandler::find() {
  auto w = d_.view.get(project_, id_);
  if (w) return w;
  if (d_.catch_up && !d_.catch_up()) {
    replyError(rw_, Code::Service_Unavailable, "unavailable", "the workflow view is behind Kafka; retry", {}, 1);
    return std::nullopt;
  }
  if ((w = d_.view.get(project_, id_))) return w;
  replyError(rw_, Code::Not_Found, "not_found", "no workflow '" + id_ + "' is registered in this project");
  return std::nullopt;
}

void WorkflowHandler::get() {
  if (!admit(false)) return;
  if (auto w = find()) replyJson(rw_, Code::Ok, workflowJson(*w));
}

void WorkflowHandler::del() {
  if (!admit(false)) return;
  if (!find()) return;
  int64_t offset = -1;
  if (!write(std::string(), offset)) return;  // empty value = tombstone
  d_.view.apply(project_ + "/" + id_, {}, offset);
  keepAlive(rw_);
  rw_.send(Code::No_Content);
}

template <typename F>
void guarded(ResponseWriter& rw, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log::error("workflow route failed", {{"error", e.what()}});
    try {
      replyError(rw, Code::Internal_Server_Error, "internal", "internal error");
    } catch (...) {
    }
  }
}

}  // namespace

void addWorkflowRoutes(Pistache::Rest::Router& router, WorkflowDeps& deps) {
  using namespace Pistache::Rest;
  WorkflowDeps* d = &deps;
  Routes::Put(router, "/v1/workflows/:workflow_id", [d](const Request& req, ResponseWriter rw) {
    guarded(rw, [&] { WorkflowHandler(*d, req, rw, RouteId::kWorkflowPut).put(); });
    return Route::Result::Ok;
  });
  Routes::Get(router, "/v1/workflows/:workflow_id", [d](const Request& req, ResponseWriter rw) {
    guarded(rw, [&] { WorkflowHandler(*d, req, rw, RouteId::kWorkflowGet).get(); });
    return Route::Result::Ok;
  });
  Routes::Delete(router, "/v1/workflows/:workflow_id", [d](const Request& req, ResponseWriter rw) {
    guarded(rw, [&] { WorkflowHandler(*d, req, rw, RouteId::kWorkflowDelete).del(); });
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
