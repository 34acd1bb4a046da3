#pragma once
// The batchrun-webhook-sender configuration, one struct with defaults on the members.
#include <cstdint>
#include <string>
#include <vector>

#include "batchrun/common/config.hpp"
#include "batchrun/common/service_config.hpp"

namespace batchrun::webhook {

struct DeliveryConfig {
  // Delay before attempt i+1 (DESIGN "Guarantees"): 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
  // Its length is the number of attempts. BATCHRUN_WEBHOOK_RETRY_SCHEDULE_MS (tests use "0,200,400").
  std::vector<int64_t> schedule_ms = {0, 5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000, 36'000'000};
  int jitter_percent = 20;               // ± on every delay
  int64_t timeout_ms = 15'000;           // whole request
  int64_t disable_after_ms = 5LL * 86'400'000;  // failing continuously this long → endpoint disabled
  int max_in_flight_per_endpoint = 16;   // concurrent requests to one endpoint
  // First attempts queued for one busy endpoint before new ones go straight to webhooks.retry (so
  // the events consumer never waits for a slow endpoint and its offsets keep moving).
  int endpoint_queue_limit = 1000;
  int max_pending_events = 20'000;       // events read but not settled before the consumer stops reading
  int64_t max_retry_after_ms = 3'600'000;// a Retry-After longer than this is capped
  int metrics_endpoint_labels = 100;     // endpoints with their own metric series; the rest are "other"
  bool allow_plain_http = false;         // BATCHRUN_WEBHOOK_ALLOW_HTTP
  bool allow_private = false;            // BATCHRUN_ALLOW_PRIVATE_DESTINATIONS
  bool allow_metadata = false;           // BATCHRUN_ALLOW_METADATA_DESTINATIONS
};

struct Config {
  ServiceConfig service = ServiceConfig::withPort(8082);  // health and metrics
  // Derived from the topic prefix by loadConfig (consumerGroupId); this is the default prefix's.
  std::string group_id = "batchrun-webhook-sender";       // runs.events group; "<group>-retry" for webhooks.retry
  DeliveryConfig delivery;
};

void loadConfig(EnvReader& env, Config& out);
extern const char* const kHelp;

}  // namespace batchrun::webhook
