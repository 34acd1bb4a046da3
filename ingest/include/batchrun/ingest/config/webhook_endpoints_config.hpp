#pragma once
// Configuration of ingest's webhook subscription API (webhook_endpoint_routes.hpp).
#include <cstdint>

#include "batchrun/common/config.hpp"

namespace batchrun::ingest {

struct WebhookEndpointsConfig {
  bool allow_plain_http = false;          // BATCHRUN_WEBHOOK_ALLOW_HTTP
  bool allow_private = false;             // BATCHRUN_ALLOW_PRIVATE_DESTINATIONS
  bool allow_metadata = false;            // BATCHRUN_ALLOW_METADATA_DESTINATIONS
  int64_t rotation_grace_seconds = 86400; // BATCHRUN_WEBHOOK_ROTATION_GRACE_SECONDS
  int max_endpoints_per_project = 100;    // BATCHRUN_WEBHOOK_MAX_ENDPOINTS_PER_PROJECT
  // A read by id that misses first brings the view up to webhooks.endpoints' end, at most this long
  // (BATCHRUN_READ_CATCH_UP_MS, shared with the other reads).
  int catch_up_ms = 2000;
};

void loadWebhookEndpointsConfig(EnvReader& env, WebhookEndpointsConfig& out);

}  // namespace batchrun::ingest
