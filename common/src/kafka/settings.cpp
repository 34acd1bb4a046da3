#include "batchrun/common/kafka/settings.hpp"

#include <algorithm>
#include <sstream>

namespace batchrun {

KafkaSettings loadKafkaSettings(EnvReader& env) {
  KafkaSettings s;
  env.string("BATCHRUN_KAFKA_BROKERS", s.brokers);
  env.string("BATCHRUN_TOPIC_PREFIX", s.topic_prefix);
  env.integer("BATCHRUN_KAFKA_PARTITIONS", s.partitions, 1, 10000);
  env.integer("BATCHRUN_KAFKA_REPLICATION", s.replication_factor, 1, 10);
  env.integer("BATCHRUN_KAFKA_MIN_INSYNC", s.min_insync_replicas, 1, 10);
  env.integer("BATCHRUN_KAFKA_MESSAGE_TIMEOUT_MS", s.message_timeout_ms, 1000, 3'600'000);
  int64_t retention_days = s.run_retention_ms / (24 * 3600 * 1000);
  env.integer("BATCHRUN_RUN_RETENTION_DAYS", retention_days, 7, 3650);
  s.run_retention_ms = retention_days * 24 * 3600 * 1000;
  if (s.replication_factor > 0 && s.min_insync_replicas > s.replication_factor) {
    env.problem("BATCHRUN_KAFKA_MIN_INSYNC: " + std::to_string(s.min_insync_replicas) +
                " exceeds BATCHRUN_KAFKA_REPLICATION " + std::to_string(s.replication_factor));
  }
  std::vector<std::string> lanes;
  env.list("BATCHRUN_LANES", lanes);
  if (!lanes.empty()) {
    s.lanes.clear();
    for (const auto& l : lanes) {
      auto colon = l.find(':');
      int max = 0;
      if (colon == std::string::npos || colon == 0 || (max = std::atoi(l.c_str() + colon + 1)) < 1 || max > 100) {
        env.problem("BATCHRUN_LANES: '" + l + "' is not name:max_priority (1..100)");
        continue;
      }
      s.lanes.push_back({l.substr(0, colon), max});
    }
    std::sort(s.lanes.begin(), s.lanes.end(), [](const Lane& a, const Lane& b) { return a.max_priority < b.max_priority; });
    if (!s.lanes.empty() && s.lanes.back().max_priority != 100) {
      env.problem("BATCHRUN_LANES: the last lane must reach priority 100");
    }
  }
  std::vector<std::string> extra;
  env.list("BATCHRUN_KAFKA_CONFIG", extra);
  for (const auto& kv : extra) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      env.problem("BATCHRUN_KAFKA_CONFIG: '" + kv + "' is not key=value");
      continue;
    }
    s.extra[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return s;
}

std::string consumerGroupId(const KafkaSettings& s, std::string_view role) {
  // Before group ids followed the prefix every deployment used "batchrun-<role>"; the default
  // prefix keeps them so an upgrade resumes from its committed offsets instead of re-reading
  // (auto.offset.reset=earliest) every lane and event topic.
  if (s.topic_prefix == KafkaSettings{}.topic_prefix) return "batchrun-" + std::string(role);
  return s.topic_prefix + std::string(role);
}

const Lane& laneFor(const std::vector<Lane>& lanes, int priority) {
  for (const auto& l : lanes) {
    if (priority <= l.max_priority) return l;
  }
  return lanes.back();
}

Topics::Topics(const KafkaSettings& s)
    : prefix(s.topic_prefix),
      lanes(s.lanes),
      run_index(prefix + "runs.index"),
      state(prefix + "runs.state"),
      events(prefix + "runs.events"),
      control(prefix + "runs.control"),
      batch_progress(prefix + "batches.progress"),
      workflows(prefix + "workflows"),
      endpoints(prefix + "webhooks.endpoints"),
      webhook_retry(prefix + "webhooks.retry"),
      webhook_dlq(prefix + "webhooks.dlq"),
      dead_letter(prefix + "dead-letter"),
      idempotency(prefix + "idempotency") {}

std::vector<std::string> Topics::laneTopics() const {
  std::vector<std::string> out;
  for (const auto& l : lanes) out.push_back(requested(l.name));
  return out;
}

}  // namespace batchrun
