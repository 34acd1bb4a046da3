#pragma once
// Ingest's configuration, one struct with defaults on the members, read by loadIngestConfig().
#include <cstddef>
#include <cstdint>
#include <string>

#include "batchrun/common/config.hpp"
#include "batchrun/common/service_config.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/config/webhook_endpoints_config.hpp"
#include "batchrun/ingest/config/read_side_config.hpp"

namespace batchrun::ingest {

struct IngestConfig {
  ServiceConfig service = ServiceConfig::withPort(8080);
  int http_threads = 2;
  ApiKeys api_keys;  // BATCHRUN_API_KEYS="<sha256-hex>:<project>,..."; none configured = every request is 401

  // Write path limits (docs/configuration.md, section ingest).
  int64_t max_body_bytes = 10 * 1024 * 1024;   // BATCHRUN_INGEST_MAX_BODY_BYTES: larger bodies are 413
  int max_batch_items = 1000;                  // BATCHRUN_INGEST_MAX_BATCH_ITEMS
  int64_t max_item_bytes = 256 * 1024;         // BATCHRUN_INGEST_MAX_ITEM_BYTES: an item's input + metadata
  int64_t idempotency_window_s = 24 * 3600;    // BATCHRUN_IDEMPOTENCY_WINDOW_SECONDS
  // Items produced but not yet acknowledged, across requests; a request that would exceed it is 429
  // before anything of it is produced (BATCHRUN_INGEST_MAX_OUTSTANDING).
  int max_outstanding = 200000;
  int retry_after_s = 1;                       // BATCHRUN_INGEST_RETRY_AFTER_SECONDS on 429/503

  // The HTTP edge (docs/operations.md, "Hostile input"): how long a request's head and body may
  // take to arrive, how long a kept-alive connection may sit idle, how many connections are served.
  int64_t head_timeout_ms = 30000;   // BATCHRUN_INGEST_HEAD_TIMEOUT_MS: from a head's first byte (the accept, for the first)
  int64_t body_timeout_ms = 120000;  // BATCHRUN_INGEST_BODY_TIMEOUT_MS: from the end of the head
  int64_t idle_timeout_ms = 75000;   // BATCHRUN_INGEST_IDLE_TIMEOUT_MS: after the last answer was sent
  int max_connections = 10000;       // BATCHRUN_INGEST_MAX_CONNECTIONS: beyond, 503 and close at once

  WebhookEndpointsConfig webhook_endpoints;  // the webhook subscription API (webhook_endpoints_config.hpp)

  ReadSideConfig read;  // the read side: SSE retention and heartbeats (read_side_config.hpp)
};

void loadIngestConfig(EnvReader& env, IngestConfig& out);
extern const char* const kIngestHelp;

}  // namespace batchrun::ingest
