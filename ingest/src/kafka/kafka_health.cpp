#include "batchrun/ingest/kafka/kafka_health.hpp"

#include "batchrun/common/logging.hpp"

namespace batchrun::ingest {

KafkaHealth::KafkaHealth(Producer& producer, Gauge& queue_depth, int interval_ms)
    : producer_(producer), queue_depth_(queue_depth), interval_ms_(interval_ms) {}

KafkaHealth::~KafkaHealth() { stop(); }

void KafkaHealth::probe() {
  bool was = ok_.load();
  bool now = producer_.reachable(2000);
  ok_.store(now);
  queue_depth_.set(producer_.outstanding());
  if (was != now) {
    if (now) log::info("kafka reachable: taking writes"); else log::warn("kafka unreachable: refusing writes with 503");
  }
}

void KafkaHealth::start() {
  if (thread_.joinable()) return;
  probe();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; })) {
      lock.unlock();
      probe();
      lock.lock();
    }
  });
}

void KafkaHealth::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace batchrun::ingest
