// Parsers and renderers of the Extend dialect (dialects/extend.hpp).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/json_writer.hpp"
#include "batchrun/ingest/dialects/extend.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/read/run_query.hpp"

namespace batchrun::ingest {

namespace {

using rapidjson::Value;

std::string inputField(int i, const char* name) {
  return "inputs[" + std::to_string(i) + "]" + (name[0] ? std::string(".") + name : std::string());
}

// The file of an input, in any shape an Extend client sends: {url, name?, settings?}, {id},
// {text, name?} (API 2026-02-09) or {fileUrl | fileId, fileName?} (older versions). Exactly one
// source; every other member is an error.
void checkFile(const Value& v, int i, FieldErrors& errors) {
  const std::string field = inputField(i, "file");
  if (!v.IsObject()) {
    errors.add(i, field, "must be an object: {url}, {id} or {text}");
    return;
  }
  int sources = 0;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const Value& f = m->value;
    const std::string path = field + "." + std::string(name);
    if (name == "url" || name == "fileUrl" || name == "id" || name == "fileId") {
      ++sources;
      if (!f.IsString() || f.GetStringLength() == 0) errors.add(i, path, "must be a non-empty string");
    } else if (name == "text") {
      ++sources;
      if (!f.IsString()) errors.add(i, path, "must be a string");
    } else if (name == "name" || name == "fileName") {
      if (!f.IsString() && !f.IsNull()) errors.add(i, path, "must be a string");
    } else if (name == "settings") {
      if (!f.IsObject() && !f.IsNull()) errors.add(i, path, "must be an object");
    } else {
      errors.add(i, path, "unknown field");
    }
  }
  if (sources != 1) errors.add(i, field, "needs exactly one of url, id or text (older versions: fileUrl or fileId)");
}

// {file: {...}} or {rawText: "..."}: what the worker receives as the run's input.
void parseInput(const Value& obj, int i, const RunRequestLimits& limits, FieldErrors& errors, RunItem& item) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  int sources = 0;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const Value& v = m->value;
    if (name == "metadata") {
      if (v.IsObject()) item.metadata = json::stringify(v);
      else if (!v.IsNull()) errors.add(i, inputField(i, "metadata"), "must be an object");
      continue;
    }
    if (name == "file") {
      ++sources;
      checkFile(v, i, errors);
    } else if (name == "rawText") {
      ++sources;
      if (!v.IsString()) errors.add(i, inputField(i, "rawText"), "must be a string");
    } else if (name != "secrets") {
      errors.add(i, inputField(i, std::string(name).c_str()), "unknown field");
      continue;
    }
    w.Key(m->name.GetString(), m->name.GetStringLength());
    v.Accept(w);
  }
  w.EndObject();
  if (sources != 1) errors.add(i, inputField(i, ""), "needs exactly one of file or rawText");
  item.input.assign(buf.GetString(), buf.GetSize());
  const auto bytes = static_cast<int64_t>(item.input.size() + item.metadata.size());
  if (bytes > limits.max_item_bytes) {
    errors.add(i, inputField(i, ""), "is " + std::to_string(bytes) + " bytes; the limit is " +
                                         std::to_string(limits.max_item_bytes));
  }
}

ExtendBatch finish(ExtendBatch out, FieldErrors& errors) {
  if (!errors.empty()) {
    out.items.clear();
    out.errors = errors.take();
    if (out.errors.size() > kMaxReportedProblems) out.errors.resize(kMaxReportedProblems);
  }
  return out;
}

}  // namespace

bool extendLegacy(std::string_view v) { return !v.empty() && v < std::string_view(kExtendCurrentVersion); }

ExtendBatch parseExtendBatch(std::string_view body, bool legacy, const RunRequestLimits& limits) {
  ExtendBatch out;
  FieldErrors errors;
  rapidjson::Document doc;
  if (!parseObject(body, doc, errors, "inputs")) return finish(std::move(out), errors);
  std::string workflow_id;
  const Value* inputs = nullptr;
  bool has_workflow = false;
  int priority = kExtendPriority;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const Value& v = m->value;
    if (name == "inputs") {
      inputs = &v;
    } else if (legacy && name == "workflowId") {
      has_workflow = true;
      errors.workflowId(-1, "workflowId", v, workflow_id);
    } else if (!legacy && name == "workflow") {
      has_workflow = true;
      if (!v.IsObject() || !v.HasMember("id")) {
        errors.add(-1, "workflow", "must be an object {id, version?}");
        continue;
      }
      for (auto f = v.MemberBegin(); f != v.MemberEnd(); ++f) {
        std::string_view field(f->name.GetString(), f->name.GetStringLength());
        if (field == "id") errors.workflowId(-1, "workflow.id", f->value, workflow_id);
        else if (field != "version") errors.add(-1, "workflow." + std::string(field), "unknown field");
      }
    } else if (name == "priority") {
      // Extend's scale is batchrun's: 1..100, lower runs first (docs/compat.md "Extend").
      if (!v.IsNull()) errors.integer(-1, "priority", v, 1, 100, priority);
    } else if (name == "version") {
      // Workflow versions are not modelled: the registered workflow's endpoint runs (docs/compat.md).
    } else {
      errors.add(-1, std::string(name), "unknown field");
    }
  }
  if (!has_workflow) errors.add(-1, legacy ? "workflowId" : "workflow.id", "required");
  if (!inputs || !inputs->IsArray()) {
    errors.add(-1, "inputs", inputs ? "must be an array" : "required: an array of 1.." + std::to_string(limits.max_items) + " inputs");
    return finish(std::move(out), errors);
  }
  const auto n = static_cast<int>(inputs->Size());
  if (n == 0 || n > limits.max_items) {
    errors.add(-1, "inputs", "has " + std::to_string(n) + " items; it must have 1.." + std::to_string(limits.max_items));
    return finish(std::move(out), errors);
  }
  out.items.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const Value& item = (*inputs)[static_cast<rapidjson::SizeType>(i)];
    RunItem& r = out.items[static_cast<size_t>(i)];
    r.workflow_id = workflow_id;
    r.priority = priority;
    if (!item.IsObject()) errors.add(i, inputField(i, ""), "must be an object");
    else parseInput(item, i, limits, errors, r);
  }
  return finish(std::move(out), errors);
}

ExtendListQuery parseExtendList(const std::map<std::string, std::string>& params) {
  ExtendListQuery out;
  out.query.limit = 10;  // Extend's default page size
  for (const auto& [name, raw] : params) {
    const std::string v = percentDecode(raw);
    if (name == "batchId") {
      out.query.batch_id = v;
    } else if (name == "workflowId") {
      out.query.workflow_id = v;
    } else if (name == "status") {
      auto s = runStatusFromExtend(v);
      if (s) out.query.status = s;
      else out.errors.push_back({-1, "status", "must be one of PENDING, PROCESSING, PROCESSED, FAILED, CANCELLED"});
    } else if (name == "nextPageToken") {
      if (!v.empty() && !decodeCursor(v, out.query.after_run_id)) {
        out.errors.push_back({-1, "nextPageToken", "is not a token this API returned"});
      }
    } else if (name == "maxPageSize") {
      int n = 0;
      bool ok = !v.empty() && v.size() <= 5;
      for (char c : v) ok = ok && c >= '0' && c <= '9';
      if (ok) n = std::stoi(v);
      if (!ok || n < 1 || n > kMaxPageSize) out.errors.push_back({-1, "maxPageSize", "must be an integer 1..1000"});
      else out.query.limit = n;
    } else if (name == "sortBy" || name == "sortDir" || name == "fileNameContains") {
      // Accepted; runs come in creation order (docs/compat.md).
    } else {
      out.errors.push_back({-1, name, "unknown query parameter"});
    }
  }
  return out;
}

const char* extendStatus(RunStatus s) {
  switch (s) {
    case RunStatus::kQueued: return "PENDING";
    case RunStatus::kRunning:
    case RunStatus::kRetrying: return "PROCESSING";
    case RunStatus::kCompleted: return "PROCESSED";
    case RunStatus::kFailed:
    case RunStatus::kTimedOut: return "FAILED";
    case RunStatus::kCancelled: return "CANCELLED";
  }
  return "PENDING";
}

std::optional<RunStatus> runStatusFromExtend(std::string_view s) {
  if (s == "PENDING") return RunStatus::kQueued;
  if (s == "PROCESSING") return RunStatus::kRunning;
  if (s == "PROCESSED") return RunStatus::kCompleted;
  if (s == "FAILED") return RunStatus::kFailed;
  if (s == "CANCELLED") return RunStatus::kCancelled;
  return std::nullopt;
}

namespace {

// The file an input names, as Extend's FileSummary. batchrun stores no files: an input given by
// id keeps that id, any other gets "file_<run id>"; the name is the one given, else the URL's last
// path segment, else "<run id>.txt" for text (Extend generates one too).
void appendFiles(std::string& out, const Run& r) {
  out += '[';
  rapidjson::Document in;
  if (json::parseRecord(in, r.input) && in.IsObject()) {
    std::string id = "file_" + r.run_id;
    std::string name;
    bool known = false;
    if (in.HasMember("rawText") && in["rawText"].IsString()) {
      known = true;
      name = r.run_id + ".txt";
    } else if (in.HasMember("file") && in["file"].IsObject()) {
      const Value& f = in["file"];
      known = true;
      std::string given;
      if (json::getString(f, "id", given) || json::getString(f, "fileId", given)) id = given;
      if (!json::getString(f, "name", name) && !json::getString(f, "fileName", name)) {
        std::string url;
        if (json::getString(f, "url", url) || json::getString(f, "fileUrl", url)) {
          url = url.substr(0, url.find_first_of("?#"));
          name = url.substr(url.find_last_of('/') + 1);
        } else if (f.HasMember("text")) {
          name = r.run_id + ".txt";
        } else {
          name = id;
        }
        if (name.empty()) name = id;
      }
    }
    if (known) {
      out += R"({"object":"file","id":)";
      json::appendString(out, id);
      out += ",\"name\":";
      json::appendString(out, name);
      out += R"(,"type":null,"parentFileId":null,"metadata":{},"createdAt":)";
      json::appendString(out, formatRfc3339(r.created_at));
      out += ",\"updatedAt\":";
      json::appendString(out, formatRfc3339(r.created_at));
      out += '}';
    }
  }
  out += ']';
}

const char* stepRunStatus(RunStatus s) {
  switch (s) {
    case RunStatus::kQueued: return "PENDING";
    case RunStatus::kRunning:
    case RunStatus::kRetrying: return "PROCESSING";
    case RunStatus::kCompleted: return "PROCESSED";
    case RunStatus::kFailed:
    case RunStatus::kTimedOut: return "FAILED";
    case RunStatus::kCancelled: return "CANCELLED";
  }
  return "PENDING";
}

// The run's one step: the call to its worker, as Extend's EXTERNAL_DATA_VALIDATION step run (the
// step that POSTs to the customer's endpoint and keeps its JSON answer). When PROCESSED its
// result is {response: {status: 200, data: <the worker's answer>}}; an answer that is not a JSON
// object is wrapped as {"value": ...}, since Extend's `data` is an object.
void appendStepRuns(std::string& out, const Run& r, const std::string& files) {
  out += R"([{"object":"workflow_step_run","id":)";
  json::appendString(out, "step_run_" + r.run_id);
  out += ",\"workflowRunId\":";
  json::appendString(out, r.run_id);
  out += ",\"status\":";
  json::appendString(out, stepRunStatus(r.status));
  out += R"(,"stepType":"EXTERNAL_DATA_VALIDATION","step":{"object":"workflow_step","id":"step_worker","name":"worker","type":"EXTERNAL_DATA_VALIDATION"},"result":)";
  if (r.status == RunStatus::kCompleted && !r.output.empty()) {
    const auto first = r.output.find_first_not_of(" \t\r\n");
    const bool object = first != std::string::npos && r.output[first] == '{';
    out += R"({"response":{"status":200,"data":)";
    out += object ? r.output : "{\"value\":" + r.output + "}";
    out += "}}";
  } else {
    out += "null";
  }
  out += ",\"files\":" + files + "}]";
}

}  // namespace

std::string extendRunJson(const Run& r, const ExtendRunContext& context) {
  // The registration's times when the project still has the workflow, else the run's own.
  const int64_t wf_created = context.workflow ? context.workflow->created_at : r.created_at;
  const int64_t wf_updated = context.workflow ? context.workflow->updated_at : r.created_at;
  std::string files;
  appendFiles(files, r);

  std::string out = "{\"object\":\"workflow_run\",\"id\":";
  json::appendString(out, r.run_id);
  out += ",\"workflow\":{\"object\":\"workflow\",\"id\":";
  json::appendString(out, r.workflow_id);
  out += ",\"name\":";
  json::appendString(out, r.workflow_id);
  out += ",\"createdAt\":";
  json::appendString(out, formatRfc3339(wf_created > 0 ? wf_created : r.created_at));
  out += ",\"updatedAt\":";
  json::appendString(out, formatRfc3339(wf_updated > 0 ? wf_updated : r.created_at));
  out += ",\"createdBy\":null},\"workflowVersion\":{\"object\":\"workflow_version\",\"id\":";
  json::appendString(out, r.workflow_id + ":registered");
  out += ",\"version\":\"registered\",\"name\":null,\"createdAt\":";
  json::appendString(out, formatRfc3339(wf_updated > 0 ? wf_updated : r.created_at));
  out += ",\"createdBy\":null},\"workflowId\":";
  json::appendString(out, r.workflow_id);
  // batchrun has no dashboard: the run on batchrun's own API, relative to the URL the client uses.
  out += ",\"dashboardUrl\":";
  json::appendString(out, "/v1/runs/" + r.run_id);
  out += ",\"status\":";
  json::appendString(out, context.cancelling && !isTerminal(r.status) ? "CANCELLING" : extendStatus(r.status));
  out += ",\"batchId\":";
  if (r.batch_id.empty()) out += "null"; else json::appendString(out, r.batch_id);
  out += ",\"metadata\":" + r.metadata + ",\"input\":" + r.input + ",\"files\":" + files;
  out += ",\"failureReason\":";
  const bool failed = r.status == RunStatus::kFailed || r.status == RunStatus::kTimedOut;
  if (failed) json::appendString(out, r.status == RunStatus::kTimedOut ? "timed_out" : r.error_code);
  else out += "null";
  out += ",\"failureMessage\":";
  if (failed && !r.error_message.empty()) json::appendString(out, r.error_message); else out += "null";
  // Extend's review states do not exist in batchrun: never reviewed.
  out += R"(,"reviewed":false,"reviewedByUser":null,"reviewedAt":null,"rejectionNote":null,"priority":)";
  out += std::to_string(r.priority) + ",\"createdAt\":";
  json::appendString(out, formatRfc3339(r.created_at));
  out += ",\"updatedAt\":";
  json::appendString(out, formatRfc3339(r.updated_at > 0 ? r.updated_at : r.created_at));
  out += ",\"initialRunAt\":";
  appendTimeOrNull(out, r.started_at);
  out += ",\"startTime\":";
  appendTimeOrNull(out, r.started_at);
  const int64_t ended = isTerminal(r.status) ? r.completed_at : 0;
  out += ",\"endTime\":";
  appendTimeOrNull(out, ended);
  out += ",\"completedAt\":";
  appendTimeOrNull(out, ended);
  out += ",\"stepRuns\":";
  appendStepRuns(out, r, files);
  out += '}';
  return out;
}

std::optional<std::string> extendAllowedMethods(std::string_view path) {
  constexpr std::string_view kPrefix = "/workflow_runs";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kPrefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // "/workflow_runsX": not Extend's
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return std::string("GET");
  rest.remove_prefix(1);
  const auto slash = rest.find('/');
  const std::string_view id = rest.substr(0, slash);
  if (id.empty()) return std::string();
  if (slash == std::string_view::npos) return std::string(id == "batch" ? "GET, POST" : "GET");
  if (rest.substr(slash) == "/cancel") return std::string("POST");
  return std::string();
}

std::string extendErrorBody(bool legacy, int http_code, std::string_view message, const std::vector<FieldError>& details) {
  std::string out;
  if (legacy) {
    out = "{\"success\":false,\"error\":";
    json::appendString(out, message);
  } else {
    const char* code = http_code == 400   ? "INVALID_REQUEST"
                       : http_code == 401 ? "UNAUTHORIZED"
                       : http_code == 403 ? "FORBIDDEN"
                       : http_code == 404 ? "NOT_FOUND"
                       : http_code == 405 ? "METHOD_NOT_ALLOWED"
                       : http_code == 409 ? "CONFLICT"
                       : http_code == 413 ? "PAYLOAD_TOO_LARGE"
                       : http_code == 415 ? "UNSUPPORTED_MEDIA_TYPE"
                       : http_code == 429 ? "RATE_LIMIT_EXCEEDED"
                       : http_code == 503 ? "SERVICE_UNAVAILABLE"
                                          : "INTERNAL_ERROR";
    out = "{\"code\":";
    json::appendString(out, code);
    out += ",\"message\":";
    json::appendString(out, message);
    out += ",\"retryable\":";
    out += (http_code == 429 || http_code == 503 || http_code == 500) ? "true" : "false";
    out += ",\"requestId\":";
    json::appendString(out, "req_" + uuidv7());
  }
  out += ',';
  appendDetails(out, details);
  out += '}';
  return out;
}

}  // namespace batchrun::ingest
