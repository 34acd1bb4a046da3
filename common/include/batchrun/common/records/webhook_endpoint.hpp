#pragma once
// A webhook subscription, kept in the compacted `webhooks.endpoints` topic keyed by endpoint id; a
// null value (tombstone) deletes it. Ingest writes it (create, rotate, enable, disable, delete); the
// webhook-sender follows the topic to route events and writes it once more when it disables a
// failing endpoint.
// The record holds the signing secrets, so it is never logged or listed as is (see publicJson()).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

struct EndpointSecret {
  std::string secret;      // "whsec_" + base64(random bytes)
  int64_t expires_at = 0;  // unix ms; 0 = the current secret (never expires)
};

struct WebhookEndpoint {
  std::string id;  // "ep_" + UUIDv7
  std::string project;
  std::string url;
  std::vector<std::string> event_types;  // exact types or "prefix.*"; empty = every type
  std::string description;
  std::vector<EndpointSecret> secrets;   // current first; rotated-out ones carry expires_at
  int rate_limit_per_second = 0;         // 0 = unlimited
  bool disabled = false;
  std::string disabled_reason;
  // When it was last enabled through the API (unix ms; 0: never re-enabled). The sender counts no
  // failure from before it toward disabling the endpoint again. Not shown by the API.
  int64_t enabled_at = 0;
  std::string dialect = "native";        // "extend" reserved for the Extend-compatible body shape
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

std::string encodeEndpoint(const WebhookEndpoint& e);
Result<WebhookEndpoint> decodeEndpoint(std::string_view json);

// The API view: every field except the secrets (list and get responses). With `secret` non-empty
// it is included once as "secret" (create and rotate responses).
std::string endpointPublicJson(const WebhookEndpoint& e, std::string_view secret = {});

std::string newEndpointId();
// "whsec_" + base64 of `bytes` random bytes (24..64).
std::string newWebhookSecret(size_t bytes = 32);

// Whether an event type passes the endpoint's filter: empty filter = all; "workflow_run.*" matches
// any type starting with "workflow_run."; otherwise exact.
bool endpointWants(const WebhookEndpoint& e, std::string_view event_type);
// Whether a filter entry is well-formed (a type, or a prefix ending in ".*").
bool validEventTypeFilter(std::string_view filter);

// The secrets that sign at `now_ms`: the current one plus rotated ones still in their grace period.
std::vector<std::string> signingSecrets(const WebhookEndpoint& e, int64_t now_ms);

// Rotation: a new current secret in front; the old current one keeps signing until now + grace;
// secrets already expired are dropped. Returns the new secret.
std::string rotateSecret(WebhookEndpoint& e, int64_t now_ms, int64_t grace_ms);

// State changes. Each moves updated_at past the record it changes, even if this writer's clock is
// behind the last writer's: views keep the record with the newer updated_at.
// Disable: deliveries stop (the sender routes no events to it, and dead-letters what was pending).
void disableEndpoint(WebhookEndpoint& e, std::string reason, int64_t now_ms);
// Enable: deliveries resume, the reason is cleared and enabled_at restarts the failure clock.
void enableEndpoint(WebhookEndpoint& e, int64_t now_ms);

inline constexpr const char* kEndpointDisabledEvent = "endpoint.disabled";
// The endpoint.disabled event for runs.events (key endpoint id, project header), so it is
// delivered to the project's other endpoints and seen by Kafka consumers like any other event.
OutMessage makeEndpointDisabledEvent(const std::string& events_topic, const WebhookEndpoint& e, int64_t now_ms);

}  // namespace batchrun
