#pragma once
// Whether ingest should take writes now, answered from memory (never by asking the cluster), so a
// write's admission and /readyz cost nanoseconds and cannot stall behind Kafka. Kafka is healthy
// while librdkafka has a connection up to some broker (Producer::reachable: all down for more than
// a few seconds is an outage) and no delivery failed for a retryable reason since the last sign of
// a live broker. One dead broker of three is no outage: its partitions' writes wait for the new
// leader inside librdkafka (bounded by message.timeout.ms) and the requests are answered late, not
// refused. Requests are refused with 503 *before* anything of them is produced while unhealthy, so
// an outage does not leave half-produced batches behind. A background thread publishes the
// producer's queue depth and logs the transitions. Thread-safe.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/metrics.hpp"

namespace batchrun::ingest {

class KafkaHealth {
 public:
  KafkaHealth(Producer& producer, Gauge& queue_depth, int interval_ms = 1000);
  ~KafkaHealth();
  KafkaHealth(const KafkaHealth&) = delete;
  KafkaHealth& operator=(const KafkaHealth&) = delete;

  void start();  // asks the cluster once (at most 2 s, start-up only), then logs in the background
  void stop();
  bool ok() const;
  // A delivery failed for a reason that may say the cluster is in trouble (timed out, transport):
  // refuse until librdkafka next sees a broker up after it (within a statistics tick, 1 s).
  void noteDeliveryFailure();

 private:
  void probe();

  Producer& producer_;
  Gauge& queue_depth_;
  const int interval_ms_;
  std::atomic<int64_t> failed_at_ms_{0};  // steady clock; 0: no failure
  bool logged_ok_ = false;                // the state last logged (probe thread only)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace batchrun::ingest
