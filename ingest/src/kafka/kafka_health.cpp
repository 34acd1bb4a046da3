#include "batchrun/ingest/kafka/kafka_health.hpp"

#include <chrono>

#include "batchrun/common/logging.hpp"

namespace batchrun::ingest {

namespace {
int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

KafkaHealth::KafkaHealth(Producer& producer, Gauge& queue_depth, int interval_ms)
    : producer_(producer), queue_depth_(queue_depth), interval_ms_(interval_ms) {}

KafkaHealth::~KafkaHealth() { stop(); }

bool KafkaHealth::ok() const {
  if (!producer_.reachable()) return false;
  const int64_t failed = failed_at_ms_.load(std::memory_order_relaxed);
  return failed == 0 || producer_.lastBrokerUpMs() > failed;
}

void KafkaHealth::noteDeliveryFailure() { failed_at_ms_.store(steadyMs(), std::memory_order_relaxed); }

void KafkaHealth::probe() {
  const bool now = ok();
  queue_depth_.set(producer_.outstanding());
  if (now != logged_ok_) {
    logged_ok_ = now;
    if (now) {
      log::info("kafka reachable: taking writes", {{"brokers_up", std::to_string(producer_.brokersUp())}});
    } else {
      log::warn("kafka unreachable: refusing writes with 503", {{"brokers_up", std::to_string(producer_.brokersUp())}});
    }
  }
}

void KafkaHealth::start() {
  if (thread_.joinable()) return;
  // A live cluster answers at once, so the first requests are not refused while the first
  // statistics tick (a second) is still to come; nothing is stalled yet at start-up.
  if (!producer_.probeMetadata(2000)) (void)producer_.reachable(2000);
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
