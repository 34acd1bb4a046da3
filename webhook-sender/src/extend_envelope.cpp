#include "batchrun/webhook/extend_envelope.hpp"

#include "batchrun/common/dialects/extend_run.hpp"
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

}  // namespace

bool dialectWants(std::string_view dialect, std::string_view native_type) {
  return dialect != kExtend || extendType(native_type) != nullptr;
}

std::string bodyForDialect(std::string_view dialect, std::string_view event_id, std::string_view native_type,
                           std::string_view body) {
  const char* type = extendType(native_type);
  if (dialect != kExtend || !type) return std::string(body);
  const auto run = runFromEventBody(body);
  if (!run) return std::string(body);
  // The payload is the workflow_run object ingest answers for the same run (extend_run.hpp). The
  // webhook-sender keeps no workflow registrations, so the workflow's times are the run's.
  std::string out = "{\"eventId\":";
  json::appendString(out, event_id);
  out += ",\"eventType\":";
  json::appendString(out, type);
  out += ",\"payload\":";
  out += extendRunJson(*run);
  out += '}';
  return out;
}

}  // namespace batchrun::webhook
