#pragma once
// Whether ingest should take writes now. A background probe asks the cluster for metadata every
// second; a failed delivery marks Kafka unhealthy at once until the next probe succeeds. Requests
// are refused with 503 *before* anything of them is produced while unhealthy, so an outage does not
// leave half-produced batches behind. Also publishes the producer's queue depth. Thread-safe.
#include <atomic>
#include <condition_variable>
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

  void start();  // probes once synchronously (bounded by 2 s), then in the background
  void stop();
  bool ok() const { return ok_.load(std::memory_order_relaxed); }
  void noteDeliveryFailure() { ok_.store(false, std::memory_order_relaxed); }

 private:
  void probe();

  Producer& producer_;
  Gauge& queue_depth_;
  const int interval_ms_;
  std::atomic<bool> ok_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace batchrun::ingest
