#pragma once
// Poison records for the poison-record suite (issue #24 "No poison records"): the hostile values
// produced into every topic a service consumes, and a reader of the dead-letter topic.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"

namespace batchrun::testing {

struct PoisonValue {
  std::string name;
  std::string value;  // empty: a null value
};

// Raw garbage (not UTF-8), JSON nested 100,000 deep, truncated JSON, valid JSON of the wrong
// shape, and — unless the topic is compacted, where an empty value is a tombstone (a deletion,
// not poison) — an empty value.
std::vector<PoisonValue> poisonValues(bool tombstones_mean_delete);
// JSON nested `depth` levels deep ([[[…]]]).
std::string deepJson(int depth = 100000);

// Produces each value to topic/partition with `key`; returns how many were produced.
size_t producePoison(Producer& producer, const std::string& topic, int32_t partition,
                     const std::vector<PoisonValue>& values, const std::string& key = "poison-key");

struct DeadLetter {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Follows <prefix>dead-letter from the beginning.
class DeadLetters {
 public:
  explicit DeadLetters(const KafkaSettings& kafka);
  ~DeadLetters();
  std::vector<DeadLetter> all() const;
  // Copies whose source topic (batchrun-dlq-topic) is `topic`, from `service` (empty: any).
  std::vector<DeadLetter> from(const std::string& topic, const std::string& service = {}) const;

 private:
  mutable std::mutex mu_;
  std::vector<DeadLetter> records_;
  std::unique_ptr<TopicFollower> follower_;  // last: its thread appends to records_
};

}  // namespace batchrun::testing
