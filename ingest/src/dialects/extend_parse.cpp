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

std::optional<RunStatus> runStatusFromExtend(std::string_view s) {
  if (s == "PENDING") return RunStatus::kQueued;
  if (s == "PROCESSING") return RunStatus::kRunning;
  if (s == "PROCESSED") return RunStatus::kCompleted;
  if (s == "FAILED") return RunStatus::kFailed;
  if (s == "CANCELLED") return RunStatus::kCancelled;
  return std::nullopt;
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
