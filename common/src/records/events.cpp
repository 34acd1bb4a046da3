#include "batchrun/common/records/events.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"

namespace batchrun {

const char* eventTypeFor(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued: return nullptr;
    case RunStatus::kRunning: return event_type::kStarted;
    case RunStatus::kRetrying: return event_type::kRetrying;
    case RunStatus::kCompleted: return event_type::kCompleted;
    case RunStatus::kFailed: return event_type::kFailed;
    case RunStatus::kCancelled: return event_type::kCancelled;
    case RunStatus::kTimedOut: return event_type::kTimedOut;
  }
  return nullptr;
}

std::string runEventId(const Run& run, std::string_view type) {
  std::string name = run.run_id;
  name += '/';
  name += type;
  name += '/';
  name += std::to_string(run.attempt);
  return "evt_" + uuidv5(kEventNamespace, name);
}

namespace {
OutMessage envelope(const std::string& topic, std::string key, const std::string& id, std::string_view type,
                    const std::string& project, const std::string& batch_id, int64_t now_ms, std::string body) {
  OutMessage m;
  m.topic = topic;
  m.key = std::move(key);
  m.value = std::move(body);
  std::string time = formatRfc3339(now_ms);
  m.headers = {{header::kId, id},
               {header::kType, std::string(type)},
               {header::kSource, "batchrun"},
               {header::kTime, time},
               {header::kSpecVersion, "1.0"},
               {header::kContentType, "application/json"},
               {header::kProject, project}};
  if (!batch_id.empty()) m.headers.emplace_back(header::kBatchId, batch_id);
  return m;
}
}  // namespace

std::string eventBodyProblem(std::string_view value) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, value); !st) return "event is not valid JSON: " + st.message();
  if (!d.IsObject()) return "event is not a JSON object";
  auto type = d.FindMember("type");
  auto data = d.FindMember("data");
  if (type == d.MemberEnd() || !type->value.IsString() || data == d.MemberEnd() || !data->value.IsObject()) {
    return "event without a string type and an object data";
  }
  return {};
}

std::optional<Run> runFromEventBody(std::string_view body) {
  rapidjson::Document d;
  if (!json::parseRecord(d, body) || !d.IsObject()) return std::nullopt;
  const auto data = d.FindMember("data");
  if (data == d.MemberEnd() || !data->value.IsObject()) return std::nullopt;
  const rapidjson::Value& v = data->value;
  Run r;
  std::string status;
  if (!json::getString(v, "run_id", r.run_id) || !json::getString(v, "status", status)) return std::nullopt;
  const auto parsed = parseRunStatus(status);
  if (!parsed) return std::nullopt;
  r.status = *parsed;
  json::getString(v, "batch_id", r.batch_id);
  json::getString(v, "workflow_id", r.workflow_id);
  json::getString(v, "lane", r.lane);
  json::getString(v, "queue", r.queue);
  json::getString(v, "concurrency_key", r.concurrency_key);
  int64_t n = 0;
  if (json::getInt(v, "priority", n)) r.priority = static_cast<int>(n);
  if (json::getInt(v, "attempt", n)) r.attempt = static_cast<int>(n);
  if (json::getInt(v, "max_attempts", n)) r.max_attempts = static_cast<int>(n);
  if (json::getInt(v, "timeout_seconds", n)) r.timeout_seconds = static_cast<int>(n);
  auto raw = [&](const char* name, std::string& into) {
    const auto it = v.FindMember(name);
    if (it != v.MemberEnd() && !it->value.IsNull()) into = json::stringify(it->value);
  };
  raw("metadata", r.metadata);
  raw("input", r.input);
  raw("output", r.output);
  if (const auto e = v.FindMember("error"); e != v.MemberEnd() && e->value.IsObject()) {
    json::getString(e->value, "code", r.error_code);
    json::getString(e->value, "message", r.error_message);
  }
  auto time = [&](const char* name, int64_t& into) {
    std::string text;
    if (json::getString(v, name, text)) into = parseRfc3339(text).value_or(0);
  };
  time("created_at", r.created_at);
  time("started_at", r.started_at);
  time("completed_at", r.completed_at);
  time("updated_at", r.updated_at);
  return r;
}

OutMessage makeRunEvent(const std::string& events_topic, const Run& run, std::string_view type, int64_t now_ms) {
  std::string body = "{\"type\":";
  json::appendString(body, type);
  body += ",\"timestamp\":";
  json::appendString(body, formatRfc3339(now_ms));
  body += ",\"data\":{";
  appendRunFields(body, run);
  body.back() = '}';
  body += '}';
  auto m = envelope(events_topic, run.run_id, runEventId(run, type), type, run.project, run.batch_id, now_ms,
                    std::move(body));
  if (!run.traceparent.empty()) m.headers.emplace_back(header::kTraceparent, run.traceparent);
  return m;
}

OutMessage makeBatchCompletedEvent(const std::string& events_topic, const BatchSummary& b, int64_t now_ms) {
  std::string body = "{\"type\":\"batch.completed\",\"timestamp\":";
  json::appendString(body, formatRfc3339(now_ms));
  body += ",\"data\":{\"batch_id\":";
  json::appendString(body, b.batch_id);
  body += ",\"total\":" + std::to_string(b.total) + ",\"counts\":{";
  bool first = true;
  for (const auto& [status, n] : b.counts) {
    if (!first) body += ',';
    first = false;
    json::appendKey(body, status);
    body += std::to_string(n);
  }
  body += "},\"created_at\":";
  if (b.created_at) json::appendString(body, formatRfc3339(b.created_at)); else body += "null";
  body += ",\"completed_at\":";
  json::appendString(body, formatRfc3339(b.completed_at ? b.completed_at : now_ms));
  body += "}}";
  std::string id = "evt_" + uuidv5(kEventNamespace, b.batch_id + "/batch.completed");
  return envelope(events_topic, b.batch_id, id, event_type::kBatchCompleted, b.project, b.batch_id, now_ms,
                  std::move(body));
}

}  // namespace batchrun
