#pragma once
// Announces batch.completed exactly once per batch (in the normal case) when every run of the
// batch is terminal. Its own consumer group over `batches.progress`; it never commits offsets, so
// every assignment replays the assigned partitions from the beginning (retention bounds it) and
// rebuilds the counts, and announces only once the replay has caught up — so markers written by a
// previous owner are seen first. Owns a thread; start/stop from one owner.
#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/dispatcher/batches/batch_counter.hpp"

namespace batchrun::dispatcher {

class BatchTracker : private RebalanceListener {
 public:
  BatchTracker(const KafkaSettings& kafka, std::string group_id, Producer& producer, const Clock& clock,
               PoisonRecords& poison);
  ~BatchTracker() override;
  Status start();
  void stop();
  uint64_t announced() const { return announced_.load(); }

 private:
  void onAssigned(const std::vector<TopicPartition>& parts) override;
  void onRevoked(const std::vector<TopicPartition>& parts) override;
  void loop();

  KafkaSettings kafka_;
  Topics topics_;
  std::string group_id_;
  Producer& producer_;
  const Clock& clock_;
  PoisonRecords& poison_;
  BatchCounter counter_;              // loop thread only
  std::set<int32_t> replaying_;       // partitions not yet read to their end since assignment
  std::atomic<uint64_t> announced_{0};
  std::atomic<bool> stop_{false};
  std::unique_ptr<Consumer> consumer_;
  std::thread thread_;  // last: its loop uses the members above
};

}  // namespace batchrun::dispatcher
