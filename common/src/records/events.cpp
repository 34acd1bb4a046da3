#include "batchrun/common/records/events.hpp"

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
