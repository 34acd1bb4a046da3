#pragma once
// What every service reads the same way: Kafka settings, log level, and its HTTP listen address.
#include <cstdint>
#include <string>

#include "batchrun/common/config.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/kafka/settings.hpp"

namespace batchrun {

struct ServiceConfig {
  KafkaSettings kafka;
  std::string log_level = "info";
  std::string http_host = "127.0.0.1";
  int http_port = 0;  // each service sets its default before loading
  bool create_topics = true;  // create the design's topics at start-up (idempotent)
  int json_max_depth = json::kDefaultMaxDepth;  // nesting limit of every JSON parse in the process

  static ServiceConfig withPort(int port) {
    ServiceConfig c;
    c.http_port = port;
    return c;
  }
};

// Reads BATCHRUN_KAFKA_*, BATCHRUN_LOG_LEVEL, BATCHRUN_CREATE_TOPICS, BATCHRUN_JSON_MAX_DEPTH and
// <prefix>_HOST/_PORT (e.g. BATCHRUN_INGEST_HOST, BATCHRUN_INGEST_PORT). Applies the JSON depth limit
// to the process (json::setMaxDepth): every parse in it, whichever component runs it, obeys it.
void loadServiceConfig(EnvReader& env, const std::string& prefix, ServiceConfig& out);

}  // namespace batchrun
