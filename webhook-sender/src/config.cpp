#include "batchrun/webhook/config.hpp"

namespace batchrun::webhook {

const char* const kHelp =
    "Delivers run lifecycle events to subscribed webhook endpoints.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_WEBHOOK_HOST/_PORT   health and metrics address (127.0.0.1:8082)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n";

void loadConfig(EnvReader& env, Config& out) { loadServiceConfig(env, "BATCHRUN_WEBHOOK", out.service); }

}  // namespace batchrun::webhook
