#include "batchrun/common/records/webhook_records.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun {

namespace {

struct Writer {
  std::string out = "{";
  void str(const char* k, std::string_view v) {
    json::appendKey(out, k);
    json::appendString(out, v);
    out += ',';
  }
  void num(const char* k, int64_t v) {
    json::appendKey(out, k);
    json::appendInt(out, v);
    out += ',';
  }
  std::string finish() {
    out.back() = '}';
    return std::move(out);
  }
};

std::string encodeDeliveryAs(const WebhookDelivery& d, const char* kind) {
  Writer w;
  w.str("kind", kind);
  w.str("endpoint_id", d.endpoint_id);
  w.str("project", d.project);
  w.str("event_id", d.event_id);
  w.str("event_type", d.event_type);
  if (!d.batch_id.empty()) w.str("batch_id", d.batch_id);
  if (!d.traceparent.empty()) w.str("traceparent", d.traceparent);
  // As a JSON string, not embedded JSON: the receiver must get the producer's exact bytes.
  w.str("body", d.body);
  w.num("attempt", d.attempt);
  w.num("due_at", d.due_at);
  w.num("event_at", d.event_at);
  w.num("failing_since", d.failing_since);
  w.num("last_status", d.last_status);
  if (!d.last_error.empty()) w.str("last_error", d.last_error);
  if (d.failed_at) w.num("failed_at", d.failed_at);
  return w.finish();
}

int64_t intOr(const rapidjson::Value& v, const char* name, int64_t dflt = 0) {
  int64_t n = dflt;
  json::getInt(v, name, n);
  return n;
}

}  // namespace

std::string encodeWebhookDelivery(const WebhookDelivery& d) { return encodeDeliveryAs(d, "delivery"); }
std::string encodeWebhookDead(const WebhookDelivery& d) { return encodeDeliveryAs(d, "dead"); }

std::string encodeWebhookDone(const WebhookDone& d) {
  Writer w;
  w.str("kind", "done");
  w.str("endpoint_id", d.endpoint_id);
  w.str("event_id", d.event_id);
  w.num("attempt", d.attempt);
  return w.finish();
}

std::string encodeWebhookReplay(const WebhookReplay& r) {
  Writer w;
  w.str("kind", "replay");
  w.str("replay_id", r.replay_id);
  w.str("endpoint_id", r.endpoint_id);
  w.str("project", r.project);
  w.num("since", r.since);
  w.num("until", r.until);
  w.num("requested_at", r.requested_at);
  return w.finish();
}

Result<WebhookRetryRecord> decodeWebhookRecord(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) {
    return Error::invalid("webhook record is not valid JSON: " + st.message());
  }
  if (!d.IsObject()) return Error::invalid("webhook record is not a JSON object");
  std::string kind;
  json::getString(d, "kind", kind);
  WebhookRetryRecord r;
  if (kind == "done") {
    r.kind = WebhookRetryRecord::Kind::kDone;
    json::getString(d, "endpoint_id", r.done.endpoint_id);
    json::getString(d, "event_id", r.done.event_id);
    r.done.attempt = static_cast<int>(intOr(d, "attempt"));
    if (r.done.endpoint_id.empty() || r.done.event_id.empty()) return Error::invalid("done record without ids");
    return r;
  }
  if (kind == "replay") {
    r.kind = WebhookRetryRecord::Kind::kReplay;
    json::getString(d, "replay_id", r.replay.replay_id);
    json::getString(d, "endpoint_id", r.replay.endpoint_id);
    json::getString(d, "project", r.replay.project);
    r.replay.since = intOr(d, "since");
    r.replay.until = intOr(d, "until");
    r.replay.requested_at = intOr(d, "requested_at");
    if (r.replay.endpoint_id.empty()) return Error::invalid("replay record without endpoint_id");
    return r;
  }
  if (kind != "delivery" && kind != "dead") return Error::invalid("unknown webhook record kind '" + kind + "'");
  r.kind = kind == "dead" ? WebhookRetryRecord::Kind::kDead : WebhookRetryRecord::Kind::kDelivery;
  auto& x = r.delivery;
  json::getString(d, "endpoint_id", x.endpoint_id);
  json::getString(d, "project", x.project);
  json::getString(d, "event_id", x.event_id);
  json::getString(d, "event_type", x.event_type);
  json::getString(d, "batch_id", x.batch_id);
  json::getString(d, "traceparent", x.traceparent);
  json::getString(d, "body", x.body);
  x.attempt = static_cast<int>(intOr(d, "attempt", 1));
  x.due_at = intOr(d, "due_at");
  x.event_at = intOr(d, "event_at");
  x.failing_since = intOr(d, "failing_since");
  x.last_status = static_cast<int>(intOr(d, "last_status"));
  json::getString(d, "last_error", x.last_error);
  x.failed_at = intOr(d, "failed_at");
  if (x.endpoint_id.empty() || x.event_id.empty()) return Error::invalid("delivery record without ids");
  return r;
}

}  // namespace batchrun
