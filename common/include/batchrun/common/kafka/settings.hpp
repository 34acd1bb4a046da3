#pragma once
// Kafka connection settings and batchrun's topic layout, shared by every service and loaded from
// BATCHRUN_* env vars (see docs/configuration.md).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/config.hpp"

namespace batchrun {

// A priority band: runs with priority <= max_priority (and above the previous lane's) go here.
struct Lane {
  std::string name;
  int max_priority = 100;
};

struct KafkaSettings {
  std::string brokers = "127.0.0.1:9092";
  std::string topic_prefix = "batchrun.";
  int partitions = 6;          // every co-partitioned topic (lanes, state, control) has this many
  // Of the topics ingest and the services create. Unset, the cluster decides: -1 asks CreateTopics
  // for the broker's default.replication.factor (Kafka >= 2.4), 0 sets no min.insync.replicas on the
  // topic (the broker's applies). So a 3-broker cluster configured RF 3 / ISR 2 gets that, and a
  // single local broker gets 1 / 1.
  int replication_factor = -1;
  int min_insync_replicas = 0;
  int64_t message_timeout_ms = 30000;
  // How long a run is kept after it was created: runs.state deletes older records (compact,delete),
  // ingest's read view forgets such runs and dispatchers their dedup entries, so memory, disk and
  // restart time follow the runs of this window rather than every run ever accepted. At least the
  // lanes' 7 days, so a run cannot be forgotten while its request may still be waiting.
  int64_t run_retention_ms = 30LL * 24 * 3600 * 1000;
  std::vector<Lane> lanes = {{"high", 25}, {"normal", 50}, {"low", 89}, {"bulk", 100}};
  std::map<std::string, std::string> extra;  // BATCHRUN_KAFKA_CONFIG="k=v,k=v", passed to librdkafka
};

// Reads BATCHRUN_KAFKA_BROKERS, _TOPIC_PREFIX, _PARTITIONS, _REPLICATION, _MIN_INSYNC,
// _MESSAGE_TIMEOUT_MS, BATCHRUN_RUN_RETENTION_DAYS, BATCHRUN_LANES ("high:25,normal:50,low:89,bulk:100"), BATCHRUN_KAFKA_CONFIG.
KafkaSettings loadKafkaSettings(EnvReader& env);

// The consumer group id of a service role ("dispatcher", "batch-tracker", "webhook-sender") for
// this deployment, so deployments sharing a cluster under different topic prefixes never join
// each other's groups: "<prefix><role>" (prefix "staging." → "staging.dispatcher"). The default
// prefix keeps the names deployments have committed offsets under: "batchrun-<role>". The
// services' *_GROUP variables override it.
std::string consumerGroupId(const KafkaSettings& s, std::string_view role);

// The lane for a priority (1..100); lanes are sorted by max_priority.
const Lane& laneFor(const std::vector<Lane>& lanes, int priority);

// Full topic names. Lane topics, state and control share one partition count and are read by
// one consumer group with the range assignor, so one dispatcher owns partition p of all of them.
struct Topics {
  explicit Topics(const KafkaSettings& s);
  std::string requested(const std::string& lane) const { return prefix + "runs.requested." + lane; }
  std::vector<std::string> laneTopics() const;  // in priority order (highest first)

  std::string prefix;
  std::vector<Lane> lanes;
  std::string run_index;     // runs.index: one record per accepted request, its runs and their lane positions
  std::string state;         // runs.state: compacted, key run_id, partition = the run's lane partition
  std::string events;        // runs.events: key run_id (batch.completed: batch_id)
  std::string control;       // runs.control: cancel requests and async results, same partition as the run
  std::string batch_progress;// batches.progress: key batch_id, terminal runs counted into batch.completed
  std::string workflows;     // compacted, key project/workflow_id
  std::string endpoints;     // webhooks.endpoints: compacted, key endpoint_id
  std::string webhook_retry; // webhooks.retry
  std::string webhook_dlq;   // webhooks.dlq
  std::string dead_letter;   // dead-letter: copies of records a service could not decode or apply (kafka/poison.hpp)
  std::string idempotency;   // idempotency: compacted, key project/idempotency-key → request fingerprint
};

}  // namespace batchrun
