#include "batchrun/demo_worker/config.hpp"

#include "batchrun/common/json_parse.hpp"

namespace batchrun::demo_worker {

void loadConfig(EnvReader& env, Config& out) {
  env.string("BATCHRUN_LOG_LEVEL", out.log_level);
  if (out.receiver) {
    out.port = kDefaultReceiverPort;
    env.string("BATCHRUN_DEMO_RECEIVER_HOST", out.host);
    env.integer("BATCHRUN_DEMO_RECEIVER_PORT", out.port, 0, 65535);
    env.string("BATCHRUN_DEMO_RECEIVER_SECRET", out.receiver_secret);
    env.string("BATCHRUN_DEMO_RECEIVER_SECRET_FILE", out.receiver_secret_file);
    env.integer("BATCHRUN_DEMO_RECEIVER_STATUS", out.receiver_status, 100, 599);
  } else {
    env.string("BATCHRUN_DEMO_WORKER_HOST", out.host);
    env.integer("BATCHRUN_DEMO_WORKER_PORT", out.port, 0, 65535);
    env.string("BATCHRUN_DEMO_WORKER_API", out.api_url);
    env.string("BATCHRUN_DEMO_WORKER_API_KEY", out.api_key);
    env.integer("BATCHRUN_DEMO_WORKER_RESULT_DELAY_MS", out.result_delay_ms, 0, 3600 * 1000);
  }
  env.integer("BATCHRUN_DEMO_WORKER_THREADS", out.threads, 1, 64);
  // The services' nesting limit, so a worker run beside them reads what they send it (issue 24).
  int depth = json::kDefaultMaxDepth;
  env.integer("BATCHRUN_JSON_MAX_DEPTH", depth, json::kMinMaxDepth, json::kMaxMaxDepth);
  json::setMaxDepth(depth);
}

}  // namespace batchrun::demo_worker
