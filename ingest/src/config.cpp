#include "batchrun/ingest/config.hpp"

namespace batchrun::ingest {

const char* const kIngestHelp =
    "Accepts workflow runs in bulk over HTTP and records them durably in Kafka.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_INGEST_HOST/_PORT   listen address (127.0.0.1:8080)\n"
    "  BATCHRUN_INGEST_THREADS      HTTP worker threads (2)\n"
    "  BATCHRUN_API_KEYS            <sha256-hex of key>:<project>,... (none: every request is 401)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n";

void loadIngestConfig(EnvReader& env, IngestConfig& out) {
  loadServiceConfig(env, "BATCHRUN_INGEST", out.service);
  env.integer("BATCHRUN_INGEST_THREADS", out.http_threads, 1, 256);
  if (auto spec = env.raw("BATCHRUN_API_KEYS")) {
    auto keys = ApiKeys::parse(*spec);
    if (keys) out.api_keys = std::move(*keys); else env.problem(keys.error().message);
  }
}

}  // namespace batchrun::ingest
