#include "batchrun/dispatcher/config.hpp"

namespace batchrun::dispatcher {

const char* const kHelp =
    "Consumes the lane topics by priority and executes runs on workers.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_LANES               priority lanes (high:25,normal:50,low:89,bulk:100)\n"
    "  BATCHRUN_DISPATCHER_HOST/_PORT   health and metrics address (127.0.0.1:8081)\n"
    "  BATCHRUN_DISPATCHER_GROUP    consumer group over lanes and runs.control\n"
    "                               (<prefix>dispatcher; batchrun-dispatcher for the default prefix)\n"
    "  BATCHRUN_DISPATCHER_TRACKER_GROUP  consumer group of the batch tracker\n"
    "                               (<prefix>batch-tracker; batchrun-batch-tracker for the default prefix)\n"
    "  BATCHRUN_DISPATCHER_MAX_INFLIGHT   runs executing at once, per dispatcher (1000)\n"
    "  BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES  outcomes waiting for Kafka before new attempts pause;\n"
    "                               bounds re-execution after a crash (64)\n"
    "  BATCHRUN_DISPATCHER_MIN_LANE_SHARE percent of start slots a waiting lower lane gets (10)\n"
    "  BATCHRUN_DISPATCHER_MAX_BUFFERED   runs read ahead per lane partition (1000)\n"
    "  BATCHRUN_DISPATCHER_RETRY_BASE_MS  first retry delay, doubled per attempt, ±20% jitter (1000)\n"
    "  BATCHRUN_DISPATCHER_RETRY_MAX_MS   retry delay cap (300000)\n"
    "  BATCHRUN_DISPATCHER_REQUEST_TIMEOUT_MS  cap on one worker call (300000)\n"
    "  BATCHRUN_DISPATCHER_MAX_CONNECTIONS     outbound connections (2048)\n"
    "  BATCHRUN_DISPATCHER_DRAIN_MS     on SIGTERM, wait for calls in flight (10000)\n"
    "  BATCHRUN_DISPATCHER_WORKFLOW_GRACE_MS   how long a run of an unknown workflow waits for it (5000)\n"
    "  BATCHRUN_DISPATCHER_CALLBACK_ATTEMPTS   tries per failure callback (3)\n"
    "  BATCHRUN_DISPATCHER_CALLBACK_RETRY_MS   first failure-callback retry delay, doubled per try (1000)\n"
    "  BATCHRUN_DISPATCHER_CALLBACK_TIMEOUT_MS one failure-callback try's timeout (10000)\n"
    "  BATCHRUN_WORKER_SECRET       HMAC key signing worker requests and failure callbacks (unset: unsigned)\n"
    "  BATCHRUN_ALLOW_PRIVATE_DESTINATIONS  allow loopback/private worker addresses (false)\n"
    "  BATCHRUN_ALLOW_METADATA_DESTINATIONS allow cloud metadata addresses, e.g. 169.254.169.254 (false)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n"
    "  BATCHRUN_JSON_MAX_DEPTH      nesting limit of every JSON text parsed, 16..1000 (128)\n";

void loadConfig(EnvReader& env, Config& out) {
  loadServiceConfig(env, "BATCHRUN_DISPATCHER", out.service);
  out.group_id = consumerGroupId(out.service.kafka, "dispatcher");
  out.tracker_group_id = consumerGroupId(out.service.kafka, "batch-tracker");
  env.string("BATCHRUN_DISPATCHER_GROUP", out.group_id);
  env.string("BATCHRUN_DISPATCHER_TRACKER_GROUP", out.tracker_group_id);
  env.integer("BATCHRUN_DISPATCHER_MAX_INFLIGHT", out.max_inflight, 1, 1000000);
  env.integer("BATCHRUN_DISPATCHER_MAX_UNACKED_OUTCOMES", out.max_unacked_outcomes, 1, 1000000);
  env.integer("BATCHRUN_DISPATCHER_MIN_LANE_SHARE", out.min_lane_share_percent, 0, 50);
  env.integer("BATCHRUN_DISPATCHER_MAX_BUFFERED", out.max_buffered_per_partition, 1, 1000000);
  env.integer("BATCHRUN_DISPATCHER_RETRY_BASE_MS", out.retry.base_ms, 0, 3600000);
  env.integer("BATCHRUN_DISPATCHER_RETRY_MAX_MS", out.retry.max_ms, 0, 86400000);
  env.integer("BATCHRUN_DISPATCHER_REQUEST_TIMEOUT_MS", out.request_timeout_ms, 100, 86400000);
  env.integer("BATCHRUN_DISPATCHER_MAX_CONNECTIONS", out.max_connections, 1, 100000);
  env.integer("BATCHRUN_DISPATCHER_DRAIN_MS", out.drain_timeout_ms, 0, 600000);
  env.integer("BATCHRUN_DISPATCHER_WORKFLOW_GRACE_MS", out.workflow_grace_ms, 0, 600000);
  env.integer("BATCHRUN_DISPATCHER_CALLBACK_ATTEMPTS", out.callback_attempts, 1, 20);
  env.integer("BATCHRUN_DISPATCHER_CALLBACK_RETRY_MS", out.callback_retry_ms, 0, 3600000);
  env.integer("BATCHRUN_DISPATCHER_CALLBACK_TIMEOUT_MS", out.callback_timeout_ms, 100, 600000);
  env.string("BATCHRUN_WORKER_SECRET", out.worker_secret);
  env.boolean("BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", out.allow_private_destinations);
  env.boolean("BATCHRUN_ALLOW_METADATA_DESTINATIONS", out.allow_metadata_destinations);
  if (out.group_id == out.tracker_group_id) env.problem("BATCHRUN_DISPATCHER_TRACKER_GROUP must differ from BATCHRUN_DISPATCHER_GROUP");
  if (out.retry.max_ms < out.retry.base_ms) env.problem("BATCHRUN_DISPATCHER_RETRY_MAX_MS must be >= BATCHRUN_DISPATCHER_RETRY_BASE_MS");
}

}  // namespace batchrun::dispatcher
