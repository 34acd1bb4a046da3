#include "batchrun/common/service_config.hpp"

namespace batchrun {

void loadServiceConfig(EnvReader& env, const std::string& prefix, ServiceConfig& out) {
  out.kafka = loadKafkaSettings(env);
  env.string("BATCHRUN_LOG_LEVEL", out.log_level);
  if (out.log_level != "trace" && out.log_level != "debug" && out.log_level != "info" && out.log_level != "warn" &&
      out.log_level != "error") {
    env.problem("BATCHRUN_LOG_LEVEL: '" + out.log_level + "' is not one of trace, debug, info, warn, error");
  }
  env.boolean("BATCHRUN_CREATE_TOPICS", out.create_topics);
  env.integer("BATCHRUN_JSON_MAX_DEPTH", out.json_max_depth, json::kMinMaxDepth, json::kMaxMaxDepth);
  json::setMaxDepth(out.json_max_depth);
  env.string((prefix + "_HOST").c_str(), out.http_host);
  env.integer((prefix + "_PORT").c_str(), out.http_port, 0, 65535);
}

}  // namespace batchrun
