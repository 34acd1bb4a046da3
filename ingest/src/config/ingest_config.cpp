#include "batchrun/ingest/config/ingest_config.hpp"

namespace batchrun::ingest {

const char* const kIngestHelp =
    "Accepts workflow runs in bulk over HTTP and records them durably in Kafka.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_INGEST_HOST/_PORT   listen address (127.0.0.1:8080)\n"
    "  BATCHRUN_INGEST_THREADS      HTTP worker threads (2)\n"
    "  BATCHRUN_API_KEYS            <sha256-hex of key>:<project>,... (none: every request is 401)\n"
    "  BATCHRUN_INGEST_MAX_BODY_BYTES       request body limit, larger is 413 (10485760)\n"
    "  BATCHRUN_INGEST_MAX_BATCH_ITEMS      items per POST /v1/batches (1000)\n"
    "  BATCHRUN_INGEST_MAX_ITEM_BYTES       an item's input + metadata (262144)\n"
    "  BATCHRUN_INGEST_MAX_OUTSTANDING      unacknowledged items before 429 (200000)\n"
    "  BATCHRUN_INGEST_RETRY_AFTER_SECONDS  Retry-After on 429/503 (1)\n"
    "  BATCHRUN_INGEST_HEAD_TIMEOUT_MS      time for a request's head to arrive, else 408 and close (30000)\n"
    "  BATCHRUN_INGEST_BODY_TIMEOUT_MS      time for a body to arrive after its head, else 408 and close (120000)\n"
    "  BATCHRUN_INGEST_IDLE_TIMEOUT_MS      a kept-alive connection idle this long is closed (75000)\n"
    "  BATCHRUN_INGEST_MAX_CONNECTIONS      open connections; beyond, 503 and close at once (10000)\n"
    "  BATCHRUN_IDEMPOTENCY_WINDOW_SECONDS  how long an Idempotency-Key is remembered (86400)\n"
    "  BATCHRUN_SSE_RETAIN_SECONDS  keep a completed batch's events for SSE replay this long (3600)\n"
    "  BATCHRUN_SSE_HEARTBEAT_MS    SSE keep-alive comment interval (15000)\n"
    "  BATCHRUN_WEBHOOK_ALLOW_HTTP               accept http:// webhook endpoint URLs (false: https only)\n"
    "  BATCHRUN_ALLOW_PRIVATE_DESTINATIONS       accept loopback/private webhook URLs (false)\n"
    "  BATCHRUN_ALLOW_METADATA_DESTINATIONS      accept cloud metadata webhook URLs, e.g. 169.254.169.254 (false)\n"
    "  BATCHRUN_WEBHOOK_ROTATION_GRACE_SECONDS   old secret keeps signing after a rotation (86400)\n"
    "  BATCHRUN_WEBHOOK_MAX_ENDPOINTS_PER_PROJECT  (100)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n"
    "  BATCHRUN_JSON_MAX_DEPTH      nesting limit of every JSON text parsed, 16..1000 (128)\n";

void loadIngestConfig(EnvReader& env, IngestConfig& out) {
  loadReadSideConfig(env, out.read);
  loadServiceConfig(env, "BATCHRUN_INGEST", out.service);
  loadWebhookEndpointsConfig(env, out.webhook_endpoints);
  out.webhook_endpoints.catch_up_ms = out.read.catch_up_ms;
  env.integer("BATCHRUN_INGEST_THREADS", out.http_threads, 1, 256);
  env.integer("BATCHRUN_INGEST_MAX_BODY_BYTES", out.max_body_bytes, 1024, int64_t{1} << 30);
  env.integer("BATCHRUN_INGEST_MAX_BATCH_ITEMS", out.max_batch_items, 1, 100000);
  env.integer("BATCHRUN_INGEST_MAX_ITEM_BYTES", out.max_item_bytes, 64, 16 * 1024 * 1024);
  env.integer("BATCHRUN_INGEST_MAX_OUTSTANDING", out.max_outstanding, 1, 10'000'000);
  env.integer("BATCHRUN_INGEST_RETRY_AFTER_SECONDS", out.retry_after_s, 1, 3600);
  env.integer("BATCHRUN_INGEST_HEAD_TIMEOUT_MS", out.head_timeout_ms, 100, 3'600'000);
  env.integer("BATCHRUN_INGEST_BODY_TIMEOUT_MS", out.body_timeout_ms, 100, 3'600'000);
  env.integer("BATCHRUN_INGEST_IDLE_TIMEOUT_MS", out.idle_timeout_ms, 100, 3'600'000);
  env.integer("BATCHRUN_INGEST_MAX_CONNECTIONS", out.max_connections, 1, 1'000'000);
  env.integer("BATCHRUN_IDEMPOTENCY_WINDOW_SECONDS", out.idempotency_window_s, 60, 30 * 24 * 3600);
  if (auto spec = env.raw("BATCHRUN_API_KEYS")) {
    auto keys = ApiKeys::parse(*spec);
    if (keys) out.api_keys = std::move(*keys); else env.problem(keys.error().message);
  }
}

}  // namespace batchrun::ingest
