// Parsers and renderers of the Polos dialect (dialects/polos.hpp).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/json_writer.hpp"
#include "batchrun/ingest/dialects/polos.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/http/request_fields.hpp"

namespace batchrun::ingest {

namespace {

using rapidjson::Value;

// Request-level fields a Polos client may send. deployment_id/session_id/user_id are kept in the
// run's metadata (echoed by GET /api/v1/executions/{id}); the deprecated ones are accepted and ignored.
struct Shared {
  std::string deployment_id, session_id, user_id;
};

bool isDeprecated(std::string_view name) {
  return name == "otel_traceparent" || name == "parent_execution_id" || name == "root_execution_id" ||
         name == "step_key" || name == "wait_for_subworkflow";
}

std::string fieldName(int index, const char* name) {
  return index < 0 ? std::string(name) : "workflows[" + std::to_string(index) + "]." + name;
}

// A string-or-null option; false if it was present with another type.
bool optionalString(FieldErrors& errors, int index, const std::string& field, const Value& v, std::string& out) {
  if (v.IsNull()) return true;
  if (!v.IsString()) {
    errors.add(index, field, "must be a string or null");
    return false;
  }
  out.assign(v.GetString(), v.GetStringLength());
  return true;
}

std::string metadataOf(const Shared& s, const Value* initial_state) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  auto put = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  put("deployment_id", s.deployment_id);
  put("session_id", s.session_id);
  put("user_id", s.user_id);
  if (initial_state && !initial_state->IsNull()) {
    w.Key("initial_state");
    initial_state->Accept(w);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// One workflow request: {workflow_id (batch only), payload, initial_state?, concurrency_key?,
// queue_name?, queue_concurrency_limit?, run_timeout_seconds?} (+ the shared fields on /run).
void parseItem(const Value& obj, int index, bool batch, Shared shared, const RunRequestLimits& limits,
               FieldErrors& errors, RunItem& item, int& queue_limit) {
  bool has_payload = false;
  const Value* initial_state = nullptr;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const Value& v = m->value;
    const std::string field = fieldName(index, std::string(name).c_str());
    if (name == "payload") {
      has_payload = true;
      item.input = json::stringify(v);
    } else if (name == "workflow_id" && batch) {
      errors.workflowId(index, field, v, item.workflow_id);
    } else if (name == "initial_state") {
      initial_state = &v;
    } else if (name == "concurrency_key") {
      if (!v.IsNull()) errors.name(index, field, v, item.concurrency_key);
    } else if (name == "queue_name") {
      if (!v.IsNull()) errors.name(index, field, v, item.queue);
    } else if (name == "queue_concurrency_limit") {
      if (!v.IsNull()) errors.integer(index, field, v, 1, 1'000'000, queue_limit);
    } else if (name == "run_timeout_seconds") {
      if (!v.IsNull()) errors.integer(index, field, v, 1, kMaxTimeoutSeconds, item.timeout_seconds);
    } else if (!batch && name == "deployment_id") {
      optionalString(errors, index, field, v, shared.deployment_id);
    } else if (!batch && name == "session_id") {
      optionalString(errors, index, field, v, shared.session_id);
    } else if (!batch && name == "user_id") {
      optionalString(errors, index, field, v, shared.user_id);
    } else if (!batch && isDeprecated(name)) {
      // accepted for compatibility, no effect (docs/compat.md)
    } else {
      errors.add(index, field, "unknown field");
    }
  }
  if (!has_payload) errors.add(index, fieldName(index, "payload"), "required (any JSON value)");
  if (batch && item.workflow_id.empty() && !obj.HasMember("workflow_id")) {
    errors.add(index, fieldName(index, "workflow_id"), "required");
  }
  // Polos: every workflow has a queue named after it unless told otherwise.
  if (item.queue.empty()) item.queue = item.workflow_id;
  item.metadata = metadataOf(shared, initial_state);
  const auto bytes = static_cast<int64_t>(item.input.size() + item.metadata.size());
  if (bytes > limits.max_item_bytes) {
    errors.add(index, index < 0 ? std::string("payload") : "workflows[" + std::to_string(index) + "]",
               "is " + std::to_string(bytes) + " bytes; the limit is " + std::to_string(limits.max_item_bytes));
  }
}

PolosRequest finish(PolosRequest out, FieldErrors& errors) {
  if (!errors.empty()) {
    out.items.clear();
    out.queue_limits.clear();
    out.errors = errors.take();
    if (out.errors.size() > kMaxReportedProblems) out.errors.resize(kMaxReportedProblems);
  }
  return out;
}

}  // namespace

PolosRequest parsePolosBatch(std::string_view body, const RunRequestLimits& limits) {
  PolosRequest out;
  FieldErrors errors;
  rapidjson::Document doc;
  if (!parseObject(body, doc, errors, "workflows")) return finish(std::move(out), errors);
  Shared shared;
  const Value* workflows = nullptr;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const std::string field(name);
    if (name == "workflows") workflows = &m->value;
    else if (name == "deployment_id") optionalString(errors, -1, field, m->value, shared.deployment_id);
    else if (name == "session_id") optionalString(errors, -1, field, m->value, shared.session_id);
    else if (name == "user_id") optionalString(errors, -1, field, m->value, shared.user_id);
    else if (!isDeprecated(name)) errors.add(-1, field, "unknown field");
  }
  if (!workflows || !workflows->IsArray()) {
    errors.add(-1, "workflows", workflows ? "must be an array" : "required: an array of workflow requests");
    return finish(std::move(out), errors);
  }
  const auto n = static_cast<int>(workflows->Size());
  if (n == 0 || n > limits.max_items) {
    errors.add(-1, "workflows", "has " + std::to_string(n) + " items; it must have 1.." + std::to_string(limits.max_items));
    return finish(std::move(out), errors);
  }
  out.items.resize(static_cast<size_t>(n));
  out.queue_limits.assign(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    const Value& item = (*workflows)[static_cast<rapidjson::SizeType>(i)];
    if (!item.IsObject()) {
      errors.add(i, "workflows[" + std::to_string(i) + "]", "must be an object");
      continue;
    }
    parseItem(item, i, true, shared, limits, errors, out.items[static_cast<size_t>(i)],
              out.queue_limits[static_cast<size_t>(i)]);
  }
  return finish(std::move(out), errors);
}

PolosRequest parsePolosRun(std::string_view body, std::string_view workflow_id, const RunRequestLimits& limits) {
  PolosRequest out;
  FieldErrors errors;
  if (auto problem = workflowIdProblem(workflow_id)) errors.add(-1, "workflow_id", "(path) " + *problem);
  rapidjson::Document doc;
  if (!parseObject(body, doc, errors)) return finish(std::move(out), errors);
  out.items.resize(1);
  out.queue_limits.assign(1, 0);
  out.items[0].workflow_id.assign(workflow_id);
  out.items[0].priority = kSingleDefaultPriority;
  parseItem(doc, -1, false, Shared{}, limits, errors, out.items[0], out.queue_limits[0]);
  return finish(std::move(out), errors);
}

const char* polosStatus(RunStatus s) {
  switch (s) {
    case RunStatus::kQueued:
    case RunStatus::kRetrying: return "queued";  // Polos re-queues an execution between attempts
    case RunStatus::kRunning: return "running";
    case RunStatus::kCompleted: return "completed";
    case RunStatus::kFailed:
    case RunStatus::kTimedOut: return "failed";
    case RunStatus::kCancelled: return "cancelled";
  }
  return "queued";
}

std::string polosExecutionJson(const Run& r) {
  rapidjson::Document meta;
  const bool parsed = json::parseRecord(meta, r.metadata).ok();
  auto metaString = [&](std::string& out, const char* key) {
    if (parsed && meta.IsObject() && meta.HasMember(key) && meta[key].IsString()) {
      json::appendString(out, std::string_view(meta[key].GetString(), meta[key].GetStringLength()));
    } else {
      out += "null";
    }
  };
  auto str = [](std::string& out, const std::string& s) {
    if (s.empty()) out += "null"; else json::appendString(out, s);
  };
  std::string out = "{\"id\":";
  json::appendString(out, r.run_id);
  out += ",\"workflow_id\":";
  json::appendString(out, r.workflow_id);
  out += ",\"status\":";
  json::appendString(out, polosStatus(r.status));
  out += ",\"payload\":" + r.input + ",\"result\":";
  appendRawOrNull(out, r.status == RunStatus::kCompleted ? r.output : std::string());
  out += ",\"error\":";
  if (r.status == RunStatus::kTimedOut) json::appendString(out, "run timed out after " + std::to_string(r.timeout_seconds) + " s");
  else if (!r.error_message.empty()) json::appendString(out, r.error_message);
  else str(out, r.error_code);
  out += ",\"created_at\":";
  json::appendString(out, formatRfc3339(r.created_at));
  out += ",\"started_at\":";
  appendTimeOrNull(out, r.started_at);
  out += ",\"completed_at\":";
  appendTimeOrNull(out, isTerminal(r.status) ? r.completed_at : 0);
  out += ",\"deployment_id\":";
  metaString(out, "deployment_id");
  out += ",\"assigned_to_worker\":null,\"parent_execution_id\":null,\"root_execution_id\":null,\"retry_count\":" +
         std::to_string(r.attempt > 1 ? r.attempt - 1 : 0) + ",\"step_key\":null,\"queue_name\":";
  str(out, r.queue.empty() ? r.workflow_id : r.queue);
  out += ",\"concurrency_key\":";
  str(out, r.concurrency_key);
  out += ",\"batch_id\":";
  str(out, r.batch_id);
  out += ",\"session_id\":";
  metaString(out, "session_id");
  out += ",\"user_id\":";
  metaString(out, "user_id");
  out += ",\"output_schema_name\":null,\"cancelled_at\":";
  appendTimeOrNull(out, r.status == RunStatus::kCancelled ? r.completed_at : 0);
  out += ",\"cancelled_by\":null,\"run_timeout_seconds\":" + std::to_string(r.timeout_seconds) + "}";
  return out;
}

std::optional<std::string> polosAllowedMethods(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kPrefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // "/api/v1x": not Polos's
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  // The segments after /api/v1: workflows/batch_run, workflows/{id}/run, executions/{id}[/cancel].
  std::vector<std::string_view> segments;
  while (!rest.empty()) {
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (segments.back().empty()) return std::string();  // "//": no route has an empty segment
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  const size_t n = segments.size();
  if (n >= 2 && segments[0] == "workflows") {
    if (n == 2 && segments[1] == "batch_run") return std::string("POST");
    if (n == 3 && segments[2] == "run") return std::string("POST");
  } else if (n >= 2 && segments[0] == "executions") {
    if (n == 2) return std::string("GET");
    if (n == 3 && segments[2] == "cancel") return std::string("POST");
  }
  return std::string();
}

std::string polosErrorBody(int http_code, std::string_view message, const std::vector<FieldError>& details) {
  const char* type = http_code == 400   ? "BAD_REQUEST"
                     : http_code == 401 ? "UNAUTHORIZED"
                     : http_code == 403 ? "FORBIDDEN"
                     : http_code == 404 ? "NOT_FOUND"
                     : http_code == 405 ? "METHOD_NOT_ALLOWED"
                     : http_code == 409 ? "CONFLICT"
                     : http_code == 413 ? "PAYLOAD_TOO_LARGE"
                     : http_code == 415 ? "UNSUPPORTED_MEDIA_TYPE"
                     : http_code == 429 ? "TOO_MANY_REQUESTS"
                     : http_code == 503 ? "SERVICE_UNAVAILABLE"
                                        : "INTERNAL_ERROR";
  std::string out = "{\"error\":";
  json::appendString(out, message);
  out += ",\"error_type\":";
  json::appendString(out, type);
  out += ',';
  appendDetails(out, details);
  out += '}';
  return out;
}

}  // namespace batchrun::ingest
