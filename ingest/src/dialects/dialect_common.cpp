// Shared pieces of the dialect adapters (dialects/dialect_routes.hpp).
#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/control.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/http/request_edge.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;

void addCompatRoutes(Pistache::Rest::Router& router, CompatDeps& deps) {
  addPolosRoutes(router, deps);
  addExtendRoutes(router, deps);
  addUpstashRoutes(router, deps);
}

bool admitBody(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& rw, CompatDeps& deps,
               const ErrorReplier& reply) {
  if (!isJsonContentType(request)) {
    deps.write.metrics.rejected(Rejection::kUnsupportedMedia).inc();
    reply(rw, Code::Unsupported_Media_Type, "unsupported_media_type",
          "the body must be JSON, sent with 'Content-Type: application/json'", {}, 0);
    return false;
  }
  const auto size = static_cast<int64_t>(request.body().size());
  if (size > deps.write.config.max_body_bytes) {
    deps.write.metrics.rejected(Rejection::kTooLarge).inc();
    reply(rw, Code::Request_Entity_Too_Large, "payload_too_large",
          "the body is " + std::to_string(size) + " bytes; the limit is " +
              std::to_string(deps.write.config.max_body_bytes),
          {}, 0);
    return false;
  }
  return true;
}

std::function<void(Pistache::Http::ResponseWriter&)> busyReply(ErrorReplier reply) {
  return [reply = std::move(reply)](Pistache::Http::ResponseWriter& rw) {
    reply(rw, Code::Service_Unavailable, "unavailable", "too many reads waiting for Kafka", {}, 1);
  };
}

Status requestCancel(CompatDeps& deps, const Run& run) {
  ControlMessage m;
  m.run_id = run.run_id;
  m.project = run.project;
  m.requested_at = SystemClock::instance().nowMs();
  OutMessage out;
  out.topic = deps.topics.control;
  out.key = m.run_id;
  out.value = encodeControl(m);
  out.partition = run.partition;  // the owner of the run reads it in order with the run's state
  auto st = deps.producer.produceSync(std::move(out));
  if (!st) return st.error();
  if (!st->ok) return Error::unavailable("cancel not recorded: " + st->error);
  return {};
}

void guardedCompat(Pistache::Http::ResponseWriter& rw, const ErrorReplier& reply, const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log::error("compat route failed", {{"error", e.what()}});
    try {
      if (rw.getPeer()) reply(rw, Code::Internal_Server_Error, "internal", "internal error", {}, 0);
    } catch (...) {
    }
  }
}

void appendTimeOrNull(std::string& out, int64_t ms) {
  if (ms > 0) json::appendString(out, formatRfc3339(ms));
  else out += "null";
}

void appendRawOrNull(std::string& out, const std::string& raw) { out += raw.empty() ? "null" : raw; }

void appendDetails(std::string& out, const std::vector<FieldError>& details) {
  out += "\"details\":[";
  for (size_t i = 0; i < details.size(); ++i) {
    if (i) out += ',';
    out += '{';
    if (details[i].index >= 0) out += "\"index\":" + std::to_string(details[i].index) + ",";
    out += "\"field\":";
    json::appendString(out, details[i].field);
    out += ",\"message\":";
    json::appendString(out, details[i].message);
    out += '}';
  }
  out += ']';
}

std::optional<std::string> metadataString(const std::string& metadata, const char* name) {
  rapidjson::Document d;
  if (!json::parseRecord(d, metadata) || !d.IsObject()) return std::nullopt;
  std::string out;
  if (!json::getString(d, name, out)) return std::nullopt;
  return out;
}

}  // namespace batchrun::ingest
