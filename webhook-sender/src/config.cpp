#include "batchrun/webhook/config.hpp"

#include <charconv>

namespace batchrun::webhook {

const char* const kHelp =
    "Delivers run lifecycle events to subscribed webhook endpoints.\n"
    "Configuration (environment; see docs/configuration.md):\n"
    "  BATCHRUN_KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092)\n"
    "  BATCHRUN_TOPIC_PREFIX        topic name prefix (batchrun.)\n"
    "  BATCHRUN_WEBHOOK_HOST/_PORT   health and metrics address (127.0.0.1:8082)\n"
    "  BATCHRUN_WEBHOOK_GROUP       consumer group; <group>-retry on webhooks.retry\n"
    "                               (<prefix>webhook-sender; batchrun-webhook-sender for the default prefix)\n"
    "  BATCHRUN_WEBHOOK_RETRY_SCHEDULE_MS  delays before each attempt, ms (0,5000,300000,1800000,7200000,18000000,36000000,36000000)\n"
    "  BATCHRUN_WEBHOOK_JITTER_PERCENT     ± jitter on each delay (20)\n"
    "  BATCHRUN_WEBHOOK_TIMEOUT_MS         request timeout (15000)\n"
    "  BATCHRUN_WEBHOOK_DISABLE_AFTER_SECONDS  failing this long disables an endpoint (432000)\n"
    "  BATCHRUN_WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT  (16)\n"
    "  BATCHRUN_WEBHOOK_ENDPOINT_QUEUE_LIMIT  first attempts queued per endpoint before deferring (1000)\n"
    "  BATCHRUN_WEBHOOK_MAX_PENDING_EVENTS    unsettled events before reading pauses (20000)\n"
    "  BATCHRUN_WEBHOOK_METRICS_ENDPOINTS     endpoints with their own metric series (100)\n"
    "  BATCHRUN_WEBHOOK_ALLOW_HTTP            allow http:// endpoints (false)\n"
    "  BATCHRUN_ALLOW_PRIVATE_DESTINATIONS    allow loopback/private addresses (false)\n"
    "  BATCHRUN_ALLOW_METADATA_DESTINATIONS   allow cloud metadata addresses, e.g. 169.254.169.254 (false)\n"
    "  BATCHRUN_LOG_LEVEL           trace|debug|info|warn|error (info)\n"
    "  BATCHRUN_JSON_MAX_DEPTH      nesting limit of every JSON text parsed, 16..1000 (128)\n";

namespace {

void loadSchedule(EnvReader& env, std::vector<int64_t>& out) {
  std::vector<std::string> items;
  env.list("BATCHRUN_WEBHOOK_RETRY_SCHEDULE_MS", items);
  if (items.empty()) return;
  std::vector<int64_t> parsed;
  for (const auto& s : items) {
    int64_t v = -1;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
      env.problem("BATCHRUN_WEBHOOK_RETRY_SCHEDULE_MS: '" + s + "' is not a non-negative integer (ms)");
      return;
    }
    parsed.push_back(v);
  }
  if (parsed.size() > 50) {
    env.problem("BATCHRUN_WEBHOOK_RETRY_SCHEDULE_MS: at most 50 attempts");
    return;
  }
  out = std::move(parsed);
}

}  // namespace

void loadConfig(EnvReader& env, Config& out) {
  loadServiceConfig(env, "BATCHRUN_WEBHOOK", out.service);
  out.group_id = consumerGroupId(out.service.kafka, "webhook-sender");
  env.string("BATCHRUN_WEBHOOK_GROUP", out.group_id);
  auto& d = out.delivery;
  loadSchedule(env, d.schedule_ms);
  env.integer("BATCHRUN_WEBHOOK_JITTER_PERCENT", d.jitter_percent, 0, 100);
  env.integer("BATCHRUN_WEBHOOK_TIMEOUT_MS", d.timeout_ms, 100, 300'000);
  int64_t disable_s = d.disable_after_ms / 1000;
  env.integer("BATCHRUN_WEBHOOK_DISABLE_AFTER_SECONDS", disable_s, 1, 365LL * 86400);
  d.disable_after_ms = disable_s * 1000;
  env.integer("BATCHRUN_WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", d.max_in_flight_per_endpoint, 1, 1000);
  env.integer("BATCHRUN_WEBHOOK_ENDPOINT_QUEUE_LIMIT", d.endpoint_queue_limit, 0, 1'000'000);
  env.integer("BATCHRUN_WEBHOOK_MAX_PENDING_EVENTS", d.max_pending_events, 1, 10'000'000);
  env.integer("BATCHRUN_WEBHOOK_METRICS_ENDPOINTS", d.metrics_endpoint_labels, 0, 10'000);
  env.boolean("BATCHRUN_WEBHOOK_ALLOW_HTTP", d.allow_plain_http);
  env.boolean("BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", d.allow_private);
  env.boolean("BATCHRUN_ALLOW_METADATA_DESTINATIONS", d.allow_metadata);
}

}  // namespace batchrun::webhook
