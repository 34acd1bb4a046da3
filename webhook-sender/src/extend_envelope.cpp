#include "batchrun/webhook/extend_envelope.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/records/events.hpp"
#include "batchrun/common/json.hpp"

namespace batchrun::webhook {

namespace {

constexpr std::string_view kExtend = "extend";

const char* extendType(std::string_view type) {
  if (type == event_type::kCompleted) return "workflow_run.completed";
  if (type == event_type::kFailed || type == event_type::kTimedOut) return "workflow_run.failed";
  return nullptr;
}

const char* extendStatus(std::string_view s) {
  if (s == "queued") return "PENDING";
  if (s == "running" || s == "retrying") return "PROCESSING";
  if (s == "completed") return "PROCESSED";
  if (s == "cancelled") return "CANCELLED";
  return "FAILED";
}

void copy(std::string& out, const rapidjson::Value& data, const char* from) {
  if (data.HasMember(from)) out += json::stringify(data[from]);
  else out += "null";
}

}  // namespace

bool dialectWants(std::string_view dialect, std::string_view native_type) {
  return dialect != kExtend || extendType(native_type) != nullptr;
}

std::string bodyForDialect(std::string_view dialect, std::string_view event_id, std::string_view native_type,
                           std::string_view body) {
  const char* type = extendType(native_type);
  if (dialect != kExtend || !type) return std::string(body);
  rapidjson::Document d;
  if (!json::parseRecord(d, body) || !d.IsObject() || !d.HasMember("data") || !d["data"].IsObject()) return std::string(body);
  const rapidjson::Value& data = d["data"];
  std::string status;
  json::getString(data, "status", status);
  std::string out = "{\"eventId\":";
  json::appendString(out, event_id);
  out += ",\"eventType\":";
  json::appendString(out, type);
  out += ",\"payload\":{\"object\":\"workflow_run\",\"id\":";
  copy(out, data, "run_id");
  out += ",\"workflow\":{\"object\":\"workflow\",\"id\":";
  copy(out, data, "workflow_id");
  out += "},\"workflowId\":";
  copy(out, data, "workflow_id");
  out += ",\"status\":";
  json::appendString(out, extendStatus(status));
  out += ",\"batchId\":";
  copy(out, data, "batch_id");
  out += ",\"metadata\":";
  copy(out, data, "metadata");
  out += ",\"input\":";
  copy(out, data, "input");
  out += ",\"output\":";
  copy(out, data, "output");
  out += ",\"failureReason\":";
  const bool failed = std::string_view(type) == "workflow_run.failed";
  std::string code, message;
  if (data.HasMember("error") && data["error"].IsObject()) {
    json::getString(data["error"], "code", code);
    json::getString(data["error"], "message", message);
  }
  if (failed && native_type == event_type::kTimedOut) code = "timed_out";
  if (failed && !code.empty()) json::appendString(out, code); else out += "null";
  out += ",\"failureMessage\":";
  if (failed && !message.empty()) json::appendString(out, message); else out += "null";
  out += ",\"priority\":";
  copy(out, data, "priority");
  out += ",\"createdAt\":";
  copy(out, data, "created_at");
  out += ",\"updatedAt\":";
  copy(out, data, "updated_at");
  out += ",\"initialRunAt\":";
  copy(out, data, "started_at");
  out += ",\"completedAt\":";
  copy(out, data, "completed_at");
  out += "}}";
  return out;
}

}  // namespace batchrun::webhook
