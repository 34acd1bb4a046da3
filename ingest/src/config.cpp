#include "batchrun/ingest/config.hpp"

namespace batchrun::ingest {

const char* const kIngestHelp =
    "Accepts workflow runs in bulk over HTTP and records them durably in Kafka.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_INGEST_HOST/_PORT   listen address (127.0.0.1:8080)\n"
    "  BATCHRUN_INGEST_THREADS      HTTP worker threads (2)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n";

void loadIngestConfig(EnvReader& env, IngestConfig& out) {
  loadServiceConfig(env, "BATCHRUN_INGEST", out.service);
  env.integer("BATCHRUN_INGEST_THREADS", out.http_threads, 1, 256);
}

}  // namespace batchrun::ingest
