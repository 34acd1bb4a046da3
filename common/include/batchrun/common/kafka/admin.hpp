#pragma once
// Creates batchrun's topics with the configured partitions, replication and cleanup policies.
// Idempotent: topics that exist are left as they are (a differing partition count is reported).
#include <map>
#include <string>
#include <vector>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::map<std::string, std::string> config;
};

// The design's topics for these settings.
std::vector<TopicSpec> standardTopics(const KafkaSettings& settings);

Status ensureTopics(const KafkaSettings& settings, const std::vector<TopicSpec>& specs, int timeout_ms = 30000);

// Where existing topics' configuration differs from the specs (topics are only ever created, never
// altered: e.g. runs.state made before the run retention keeps `cleanup.policy=compact`), one line
// per difference. ensureTopics() logs them as warnings; docs/topics.md says how to apply them.
Result<std::vector<std::string>> configDrift(const KafkaSettings& settings, const std::vector<TopicSpec>& specs,
                                             int timeout_ms = 10000);

// Partition count of a topic, or an error if it does not exist / the cluster does not answer.
Result<int> partitionCount(const KafkaSettings& settings, const std::string& topic, int timeout_ms = 10000);

}  // namespace batchrun
