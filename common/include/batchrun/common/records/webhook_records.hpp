#pragma once
// Records of the `webhooks.retry` and `webhooks.dlq` topics (key: endpoint id, so every record of
// one endpoint lands in one partition, in order). webhooks.retry holds three kinds:
//   delivery — a delivery waiting for its next attempt at due_at (self-contained: the exact body
//              and headers, so the event need not be read again);
//   done     — the delivery chain (endpoint, event) up to `attempt` is finished, so a sender that
//              rebuilds its schedule after a restart does not attempt it again;
//   replay   — re-deliver the endpoint's events produced in [since, until] (written by ingest's
//              POST /v1/webhook-endpoints/{id}/replay, acted on by the webhook-sender).
// webhooks.dlq holds deliveries whose last attempt failed (kind "dead", with failed_at and the
// last status/error). Pure codecs; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

#include "batchrun/common/result.hpp"

namespace batchrun {

struct WebhookDelivery {
  std::string endpoint_id;
  std::string project;
  std::string event_id;     // ce_id = webhook-id, stable across attempts
  std::string event_type;   // ce_type
  std::string batch_id;     // batchrun_batch_id (empty: none): orders batch.completed after the batch's run events
  std::string traceparent;  // empty: none
  std::string body;         // the exact runs.events value
  int attempt = 1;          // the next attempt to make, 1-based
  int64_t due_at = 0;       // unix ms (webhooks.retry)
  int64_t event_at = 0;     // when the event was produced (for lag metrics)
  int64_t failing_since = 0;  // the endpoint has failed continuously since (0: it had not)
  int last_status = 0;      // of the previous attempt (0: no HTTP answer)
  std::string last_error;
  int64_t failed_at = 0;    // webhooks.dlq
};

struct WebhookDone {
  std::string endpoint_id;
  std::string event_id;
  int attempt = 0;
};

struct WebhookReplay {
  std::string replay_id;
  std::string endpoint_id;
  std::string project;
  int64_t since = 0;  // unix ms, inclusive
  int64_t until = 0;  // unix ms, inclusive (the request time when the caller gave none)
  int64_t requested_at = 0;
};

struct WebhookRetryRecord {
  enum class Kind { kDelivery, kDone, kReplay, kDead };
  Kind kind = Kind::kDelivery;
  WebhookDelivery delivery;  // kDelivery, kDead
  WebhookDone done;          // kDone
  WebhookReplay replay;      // kReplay
};

std::string encodeWebhookDelivery(const WebhookDelivery& d);
std::string encodeWebhookDead(const WebhookDelivery& d);  // the DLQ form
std::string encodeWebhookDone(const WebhookDone& d);
std::string encodeWebhookReplay(const WebhookReplay& r);
Result<WebhookRetryRecord> decodeWebhookRecord(std::string_view json);

}  // namespace batchrun
