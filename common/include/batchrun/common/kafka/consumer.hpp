#pragma once
// Group consumer with manual offset storage: offsets are stored only after the work for a record is
// done (storeOffset), and auto-commit commits what was stored. Optional per-partition queues let a
// caller poll partitions in its own order (priority lanes) without pause/resume. Rebalance events
// reach a RebalanceListener on the thread that calls poll(). Not thread-safe: one polling thread.
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic < o.topic || (topic == o.topic && partition < o.partition);
  }
  bool operator==(const TopicPartition& o) const = default;
};

class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // After the partitions are assigned (positions from committed offsets).
  virtual void onAssigned(const std::vector<TopicPartition>& parts) = 0;
  // Before they are taken away: store final offsets and drop state for them here.
  virtual void onRevoked(const std::vector<TopicPartition>& parts) = 0;
};

struct ConsumerOptions {
  std::string group_id;
  std::string assignment_strategy = "range";  // co-partitioning: same partition numbers → same member
  bool per_partition_queues = false;          // route each partition to its own queue
  std::map<std::string, std::string> overrides;
};

// BATCHRUN_KAFKA_CONFIG entries for a consumer (security, timeouts …), set in `props` (replacing
// defaults). Producer-only keys are left out: they would make a consumer refuse to start.
void addConsumerExtras(const KafkaSettings& settings, std::map<std::string, std::string>& props);

// A consumer that is only ever assign()ed partitions: never joins its (random) group, never commits.
// `props` win over BATCHRUN_KAFKA_CONFIG (the caller depends on them); `what` names it in errors.
// The caller destroys it (rd_kafka_consumer_close + rd_kafka_destroy).
Result<rd_kafka_t*> newAssignOnlyConsumer(const KafkaSettings& settings, std::map<std::string, std::string> props,
                                          const std::string& what);

class Consumer {
 public:
  static Result<std::unique_ptr<Consumer>> create(const KafkaSettings& settings, ConsumerOptions options,
                                                  RebalanceListener* listener = nullptr);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Status subscribe(const std::vector<std::string>& topics);
  // Serves rebalances; returns a record from the main queue (none from partitions that have their
  // own queue), or an empty Message on timeout.
  Message poll(int timeout_ms);
  // With per_partition_queues: the next record of one partition, non-blocking.
  Message pollPartition(const TopicPartition& tp);
  // Marks everything before next_offset as done; committed by the next auto-commit.
  void storeOffset(const TopicPartition& tp, int64_t next_offset);
  Status commitSync();
  // Commits stored offsets and leaves the group.
  void close();
  const std::vector<TopicPartition>& assignment() const { return assignment_; }
  // In a revoke: the partitions were lost (this member fell out of the group), not handed over, so
  // another member may own them already.
  bool assignmentLost() const { return rd_kafka_assignment_lost(rk_) == 1; }
  // Lag per partition (high watermark − position), from librdkafka's cached watermarks.
  int64_t lag(const TopicPartition& tp);
  rd_kafka_t* handle() { return rk_; }

 private:
  Consumer(rd_kafka_t* rk, ConsumerOptions options, RebalanceListener* listener);
  static void onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque);
  void handleRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void dropQueues();

  rd_kafka_t* rk_;
  ConsumerOptions options_;
  RebalanceListener* listener_;
  std::vector<TopicPartition> assignment_;
  std::map<TopicPartition, rd_kafka_queue_t*> queues_;
  bool closed_ = false;
};

std::vector<TopicPartition> toVector(const rd_kafka_topic_partition_list_t* parts);

}  // namespace batchrun
