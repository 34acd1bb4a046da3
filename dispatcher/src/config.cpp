#include "batchrun/dispatcher/config.hpp"

namespace batchrun::dispatcher {

const char* const kHelp =
    "Consumes the lane topics by priority and executes runs on workers.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_DISPATCHER_HOST/_PORT   health and metrics address (127.0.0.1:8081)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n";

void loadConfig(EnvReader& env, Config& out) { loadServiceConfig(env, "BATCHRUN_DISPATCHER", out.service); }

}  // namespace batchrun::dispatcher
